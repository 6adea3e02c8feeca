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
# its absolute path> (pretrain_work_dir.sh; WORK_DIR overrides it).
# Env: GPUS, PORT (master port), MIM (default mim), WORK_DIR.
# Without mim, runs tools/benchmarks/mmdetection/train.py (the same training)
# with torch.distributed.run.
set -e
set -x

if [ $# -lt 2 ]; then
    echo "usage: [GPUS=8] $0 CFG PRETRAIN [GPUS] [train.py args]" >&2
    exit 2
fi
if ! [[ ${3:-} =~ ^[0-9]+$ ]]; then
    # no GPUS argument: the environment's GPUS, default 8
    CFG=$1 PRETRAIN=$2
    shift 2
    set -- "$CFG" "$PRETRAIN" "${GPUS:-8}" "$@"
fi
CFG=$1
PRETRAIN=$2
GPUS=$3
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
# shellcheck source=pretrain_work_dir.sh
source "$ROOT/tools/benchmarks/mmdetection/pretrain_work_dir.sh"
WORK_DIR=${WORK_DIR:-$(pretrain_work_dir "$CFG" "$PRETRAIN")}
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
