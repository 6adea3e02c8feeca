#!/usr/bin/env bash
# Fine-tune an FPN detector of the DetCo benchmarks (Mask R-CNN, RetinaNet,
# Faster R-CNN with FPN) from a DetCo checkpoint on GPUS local GPUs.
#
# Usage: [GPUS=8] tools/benchmarks/mmdetection/mim_dist_train_fpn.sh \
#            CFG PRETRAIN [GPUS] [train.py args]
#   e.g. GPUS=8 bash ... \
#            configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth
#
# GPUS: the number of GPUs, from the environment (default 8); a number
# right after PRETRAIN, where MMSelfSup's mim_dist_train_{c4,fpn}.sh take
# it, overrides the environment.
#
# PRETRAIN is a file with the backbone under `backbone.*`, loaded with
# prefix=backbone.: a DetCo (or MMPretrain MoCo-style) training checkpoint
# (its query backbone; the momentum encoder is not used), the output of
# extract_backbone_weights.py --with-prefix or of convert_official_detco.py.
# For the output of extract_backbone_weights.py without --with-prefix, add
# `--cfg-options model.backbone.init_cfg.prefix=None` (and the same for
# model.roi_head.shared_head with C4). PretrainedBackboneCheckHook stops the
# run before its first iteration if the backbone did not load. Work dir:
# work_dirs/benchmarks/<cfg name>/<pretrain dir>_<pretrain name>-<hash of
# its absolute path> (pretrain_work_dir in ../launch.sh; WORK_DIR
# overrides it).
# Env: GPUS, PORT (master port), MIM (default mim), WORK_DIR.
# Without mim, runs tools/benchmarks/mmdetection/train.py (the same training)
# with torch.distributed.run.
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args dist train "$@"
benchmark_train mmdet "$ROOT/tools/benchmarks/mmdetection/train.py" backbone
