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
# (../mmdetection/pretrain_work_dir.sh; WORK_DIR overrides it).
# Env: GPUS, PORT (master port), MIM (default mim), WORK_DIR.
# Runs `mim train mmpretrain`, or without mim tools/train.py (the same
# training) with torch.distributed.run.
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
# shellcheck source=../mmdetection/pretrain_work_dir.sh
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
    "$MIM" train mmpretrain "$CFG" --launcher pytorch -G "$GPUS" \
        ${PORT:+--port "$PORT"} "${ARGS[@]}"
else
    "${PYTHON:-python}" -m torch.distributed.run --nproc_per_node="$GPUS" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/train.py" "$CFG" --launcher pytorch "${ARGS[@]}"
fi
