#!/usr/bin/env bash
# Fine-tune an FPN detector of the DetCo benchmarks (Mask R-CNN, RetinaNet,
# Faster R-CNN with FPN) from a DetCo checkpoint on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_train_fpn.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#   e.g. GPUS=16 bash ... $PARTITION \
#            configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-2x_coco.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth
#
# As MMSelfSup's Slurm benchmark scripts: GPUS (the total, default 8),
# GPUS_PER_NODE (default min(GPUS, 8)), CPUS_PER_TASK (default 5) and
# SRUN_ARGS from the environment. A number right after PRETRAIN is taken as
# GPUS too. As mim_dist_train_fpn.sh: the query backbone `backbone.*` of
# PRETRAIN initialises the backbone; work dir work_dirs/benchmarks/<cfg
# name>/<pretrain dir>_<pretrain name>-<hash of its absolute path>
# (pretrain_work_dir in ../launch.sh; WORK_DIR overrides it). Without mim,
# runs tools/benchmarks/mmdetection/train.py with srun (JOB_NAME, default
# the config name).
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args slurm train "$@"
benchmark_train mmdet "$ROOT/tools/benchmarks/mmdetection/train.py" backbone
