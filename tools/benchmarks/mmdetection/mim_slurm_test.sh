#!/usr/bin/env bash
# Evaluate a detector fine-tuned by the DetCo benchmarks on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_test.sh \
#            PARTITION CFG CHECKPOINT [test.py args]
#
# As MMSelfSup's: GPUS (the total, default 8), GPUS_PER_NODE (default
# min(GPUS, 8)), CPUS_PER_TASK (default 5) and SRUN_ARGS from the
# environment; a number right after CHECKPOINT is taken as GPUS too.
# CHECKPOINT is the fine-tuned detector; the logs go next to it (WORK_DIR
# overrides that). Without mim, runs tools/benchmarks/mmdetection/test.py
# with srun (JOB_NAME, default test_<config name>).
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args slurm test "$@"
benchmark_test mmdet "$ROOT/tools/benchmarks/mmdetection/test.py"
