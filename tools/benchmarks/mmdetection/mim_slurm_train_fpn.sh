#!/usr/bin/env bash
# Fine-tune an FPN detector of the DetCo benchmarks (Mask R-CNN, RetinaNet,
# Faster R-CNN with FPN) from a DetCo checkpoint on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_train_fpn.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#   e.g. GPUS=16 bash ... $PARTITION \
#            configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-2x_coco.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth
#
# As MMSelfSup's Slurm benchmark scripts: GPUS (the total, default 8),
# GPUS_PER_NODE (default min(GPUS, 8)), CPUS_PER_TASK (default 5) and
# SRUN_ARGS from the environment. A number right after PRETRAIN is taken as
# GPUS too. As mim_dist_train_fpn.sh: the query backbone `backbone.*` of
# PRETRAIN initialises the backbone; work dir work_dirs/benchmarks/<cfg
# name>/<pretrain dir>_<pretrain name>-<hash of its absolute path>
# (pretrain_work_dir.sh; WORK_DIR overrides it). Without mim, runs
# tools/benchmarks/mmdetection/train.py with srun (JOB_NAME, default the
# config name).
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
    "${@:5}"
)

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" train mmdet "$CFG" --launcher slurm -G "$GPUS" \
        --gpus-per-node "$GPUS_PER_NODE" --cpus-per-task "$CPUS_PER_TASK" \
        --partition "$PARTITION" --srun-args "$SRUN_ARGS" "${ARGS[@]}"
else
    # shellcheck disable=SC2086
    srun -p "$PARTITION" --job-name="$JOB_NAME" \
        --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
        --ntasks-per-node="$GPUS_PER_NODE" \
        --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
        "${PYTHON:-python}" -u "$ROOT/tools/benchmarks/mmdetection/train.py" "$CFG" \
        --launcher slurm "${ARGS[@]}"
fi
