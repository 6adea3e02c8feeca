#!/usr/bin/env bash
# ImageNet linear probe of a DetCo checkpoint (MMPretrain) on a Slurm
# cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/classification/mim_slurm_train_linear.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#
# As MMSelfSup's classification/mim_slurm_train.sh: GPUS (the total,
# default 8), GPUS_PER_NODE (default min(GPUS, 8)), CPUS_PER_TASK (default
# 5) and SRUN_ARGS from the environment (a number right after PRETRAIN is
# taken as GPUS too). As mim_dist_train_linear.sh: the backbone options and
# the work dir. Without mim, runs tools/train.py with srun (JOB_NAME,
# default the config name).
set -e
set -x

if [ $# -lt 3 ]; then
    echo "usage: [GPUS=8] $0 PARTITION CFG PRETRAIN [train.py args]" >&2
    exit 2
fi
if ! [[ ${4:-} =~ ^[0-9]+$ ]]; then
    # no GPUS argument: the environment's GPUS, default 8
    PARTITION=$1 CFG=$2 PRETRAIN=$3
    shift 3
    set -- "$PARTITION" "$CFG" "$PRETRAIN" "${GPUS:-8}" "$@"
fi
PARTITION=$1
CFG=$2
PRETRAIN=$3
GPUS=$4
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
JOB_NAME=${JOB_NAME:-$(basename "${CFG%.*}")}
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
    "${@:5}"
)

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" train mmpretrain "$CFG" --launcher slurm -G "$GPUS" \
        --gpus-per-node "$GPUS_PER_NODE" --cpus-per-task "$CPUS_PER_TASK" \
        --partition "$PARTITION" --srun-args "$SRUN_ARGS" "${ARGS[@]}"
else
    # shellcheck disable=SC2086
    srun -p "$PARTITION" --job-name="$JOB_NAME" \
        --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
        --ntasks-per-node="$GPUS_PER_NODE" \
        --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
        "${PYTHON:-python}" -u "$ROOT/tools/train.py" "$CFG" \
        --launcher slurm "${ARGS[@]}"
fi
