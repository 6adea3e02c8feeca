#!/usr/bin/env bash
# Evaluate a linear probe trained by mim_dist_train_linear.sh (MMPretrain)
# on GPUS local GPUs.
#
# Usage: [GPUS=8] tools/benchmarks/classification/mim_dist_test.sh \
#            CFG CHECKPOINT [GPUS] [test.py args]
#   e.g. GPUS=8 bash ... \
#            configs/benchmarks/classification/imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py \
#            work_dirs/benchmarks/resnet50_linear-8xb32-steplr-100e_in1k/detco_resnet50_8xb32-coslr-200e_in1k_epoch_200-1a2b3c4d/epoch_100.pth
#
# As MMSelfSup's classification/mim_dist_test.sh: GPUS from the environment
# (default 8; a number right after CHECKPOINT overrides it). CHECKPOINT is
# the trained probe (backbone and classifier), not the DetCo pre-training
# checkpoint. The logs go next to it (WORK_DIR overrides that).
# Env: GPUS, PORT, MIM (default mim), WORK_DIR. Runs `mim test mmpretrain`,
# or without mim tools/benchmarks/classification/test.py (MMPretrain's
# tools/test.py) with torch.distributed.run.
set -e
set -x

if [ $# -lt 2 ]; then
    echo "usage: [GPUS=8] $0 CFG CHECKPOINT [GPUS] [test.py args]" >&2
    exit 2
fi
if ! [[ ${3:-} =~ ^[0-9]+$ ]]; then
    # no GPUS argument: the environment's GPUS, default 8
    CFG=$1 CHECKPOINT=$2
    shift 2
    set -- "$CFG" "$CHECKPOINT" "${GPUS:-8}" "$@"
fi
CFG=$1
CHECKPOINT=$2
GPUS=$3
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK_DIR=${WORK_DIR:-$(dirname "$CHECKPOINT")}
MIM=${MIM:-mim}

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" test mmpretrain "$CFG" --checkpoint "$CHECKPOINT" \
        --launcher pytorch -G "$GPUS" ${PORT:+--port "$PORT"} \
        --work-dir "$WORK_DIR" "${@:4}"
else
    "${PYTHON:-python}" -m torch.distributed.run --nproc_per_node="$GPUS" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/benchmarks/classification/test.py" "$CFG" "$CHECKPOINT" \
        --launcher pytorch --work-dir "$WORK_DIR" "${@:4}"
fi
