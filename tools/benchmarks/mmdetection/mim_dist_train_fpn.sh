#!/usr/bin/env bash
# Fine-tune an FPN detector of the DetCo benchmarks (Mask R-CNN, RetinaNet,
# Faster R-CNN with FPN) from a DetCo checkpoint on GPUS local GPUs.
#
# Usage: tools/benchmarks/mmdetection/mim_dist_train_fpn.sh \
#            CFG PRETRAIN GPUS [train.py args]
#   e.g. ... configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth 8
#
# PRETRAIN is a DetCo (or MMPretrain MoCo-style) training checkpoint: its
# query backbone `backbone.*` initialises the backbone (res2-res5); the
# momentum encoder is not used. Work dir:
# work_dirs/benchmarks/<cfg name>/<pretrain name> (WORK_DIR overrides it). Env: PORT (master port), MIM (default mim).
# Without mim, runs tools/benchmarks/mmdetection/train.py (the same training)
# with torch.distributed.run.
set -e
set -x

CFG=$1
PRETRAIN=$2
GPUS=$3
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK_DIR=${WORK_DIR:-"work_dirs/benchmarks/$(basename "${CFG%.*}")/$(basename "${PRETRAIN%.*}")"}
MIM=${MIM:-mim}

ARGS=(
    --work-dir "$WORK_DIR"
    --cfg-options
    model.backbone.init_cfg.type=Pretrained
    model.backbone.init_cfg.checkpoint="$PRETRAIN"
    model.backbone.init_cfg.prefix=backbone.
    "${@:4}"
)

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" train mmdet "$CFG" --launcher pytorch -G "$GPUS" \
        ${PORT:+--port "$PORT"} "${ARGS[@]}"
else
    "${PYTHON:-python}" -m torch.distributed.run --nproc_per_node="$GPUS" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/benchmarks/mmdetection/train.py" "$CFG" \
        --launcher pytorch "${ARGS[@]}"
fi
