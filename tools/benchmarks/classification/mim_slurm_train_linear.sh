#!/usr/bin/env bash
# ImageNet linear probe of a DetCo checkpoint (MMPretrain) on a Slurm
# cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/classification/mim_slurm_train_linear.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#
# As MMSelfSup's classification/mim_slurm_train.sh: GPUS (the total,
# default 8), GPUS_PER_NODE (default min(GPUS, 8)), CPUS_PER_TASK (default
# 5) and SRUN_ARGS from the environment (a number right after PRETRAIN is
# taken as GPUS too). As mim_dist_train_linear.sh: the backbone options and
# the work dir. Without mim, runs tools/train.py with srun (JOB_NAME,
# default the config name).
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args slurm train "$@"
benchmark_train mmpretrain "$ROOT/tools/train.py" backbone
