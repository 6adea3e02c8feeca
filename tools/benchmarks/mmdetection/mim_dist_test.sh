#!/usr/bin/env bash
# Evaluate a detector fine-tuned by the DetCo benchmarks on GPUS local GPUs.
#
# Usage: [GPUS=8] tools/benchmarks/mmdetection/mim_dist_test.sh \
#            CFG CHECKPOINT [GPUS] [test.py args]
#   e.g. GPUS=8 bash ... configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py \
#            work_dirs/benchmarks/mask-rcnn_r50-c4_ms-1x_coco/detco_resnet50_8xb32-coslr-200e_in1k_epoch_200-1a2b3c4d/iter_90000.pth
#
# GPUS: from the environment (default 8); a number right after CHECKPOINT,
# where MMSelfSup's mim_dist_test.sh and MMDetection's dist_test.sh take it,
# overrides the environment. CHECKPOINT is the fine-tuned detector (not the
# DetCo pre-training checkpoint: the pre-trained weights are only read when
# training starts). The logs go next to it (WORK_DIR overrides that).
# Env: GPUS, PORT, MIM (default mim), WORK_DIR. Without mim, runs
# tools/benchmarks/mmdetection/test.py with torch.distributed.run.
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args dist test "$@"
benchmark_test mmdet "$ROOT/tools/benchmarks/mmdetection/test.py"
