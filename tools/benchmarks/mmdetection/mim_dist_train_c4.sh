#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on GPUS local GPUs.
#
# Usage: tools/benchmarks/mmdetection/mim_dist_train_c4.sh \
#            CFG PRETRAIN GPUS [train.py args]
#   e.g. ... configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth 8
#
# PRETRAIN is a DetCo (or MMPretrain MoCo-style) training checkpoint: its
# query backbone `backbone.*` initialises both the backbone (res2-res4) and
# the shared head (res5 = `layer4.*`, from `backbone.layer4.*`); the momentum
# encoder is not used. Work dir: work_dirs/benchmarks/<cfg name>/<pretrain
# name> (WORK_DIR overrides it). Env: PORT (master port), MIM (default mim).
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
    model.roi_head.shared_head.init_cfg.type=Pretrained
    model.roi_head.shared_head.init_cfg.checkpoint="$PRETRAIN"
    model.roi_head.shared_head.init_cfg.prefix=backbone.
    "${@:4}"
)

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" train mmdet "$CFG" --launcher pytorch -G "$GPUS" \
        ${PORT:+--port "$PORT"} "${ARGS[@]}"
else
    python -m torch.distributed.run --nproc_per_node="$GPUS" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/benchmarks/mmdetection/train.py" "$CFG" \
        --launcher pytorch "${ARGS[@]}"
fi
