#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on GPUS local GPUs.
#
# Usage: [GPUS=8] tools/benchmarks/mmdetection/mim_dist_train_c4.sh \
#            CFG PRETRAIN [GPUS] [train.py args]
#   e.g. GPUS=8 bash ... \
#            configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth
#
# As mim_dist_train_fpn.sh (GPUS from the environment, default 8, or right
# after PRETRAIN; work dir, PORT, MIM, the fallback without mim), and the
# query backbone `backbone.*` of PRETRAIN also initialises the shared head
# (res5 = `layer4.*`, from `backbone.layer4.*`).
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args dist train "$@"
benchmark_train mmdet "$ROOT/tools/benchmarks/mmdetection/train.py" \
    backbone roi_head.shared_head
