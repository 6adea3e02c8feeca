#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_train_c4.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#
# As mim_slurm_train_fpn.sh (GPUS and the rest from the environment), and
# the query backbone `backbone.*` of PRETRAIN also initialises the shared
# head (res5 from `backbone.layer4.*`).
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args slurm train "$@"
benchmark_train mmdet "$ROOT/tools/benchmarks/mmdetection/train.py" \
    backbone roi_head.shared_head
