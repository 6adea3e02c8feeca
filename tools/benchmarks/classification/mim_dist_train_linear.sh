#!/usr/bin/env bash
# ImageNet linear probe of a DetCo checkpoint (MMPretrain) on GPUS local
# GPUs: the frozen backbone of CFG loads the query backbone of PRETRAIN.
#
# Usage: [GPUS=8] tools/benchmarks/classification/mim_dist_train_linear.sh \
#            CFG PRETRAIN [GPUS] [train.py args]
#   e.g. GPUS=8 bash ... \
#            configs/benchmarks/classification/imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth
#
# As MMSelfSup's classification/mim_dist_train.sh: GPUS from the
# environment (default 8; a number right after PRETRAIN overrides it), and
# `--cfg-options model.backbone.init_cfg.{type=Pretrained,checkpoint=PRETRAIN,
# prefix=backbone.}` (PRETRAIN: a file with the backbone under `backbone.*`,
# as for the detection benchmarks). Work dir: work_dirs/benchmarks/<cfg
# name>/<pretrain dir>_<pretrain name>-<hash of its absolute path>
# (pretrain_work_dir in ../launch.sh; WORK_DIR overrides it).
# Env: GPUS, PORT (master port), MIM (default mim), WORK_DIR.
# Runs `mim train mmpretrain`, or without mim tools/train.py (the same
# training) with torch.distributed.run.
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args dist train "$@"
benchmark_train mmpretrain "$ROOT/tools/train.py" backbone
