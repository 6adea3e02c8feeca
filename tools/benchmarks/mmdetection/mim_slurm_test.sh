#!/usr/bin/env bash
# Evaluate a detector fine-tuned by the DetCo benchmarks on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_test.sh \
#            PARTITION CFG CHECKPOINT [test.py args]
#
# As MMSelfSup's: GPUS (the total, default 8), GPUS_PER_NODE (default
# min(GPUS, 8)), CPUS_PER_TASK (default 5) and SRUN_ARGS from the
# environment; a number right after CHECKPOINT is taken as GPUS too.
# CHECKPOINT is the fine-tuned detector; the logs go next to it (WORK_DIR
# overrides that). Without mim, runs tools/benchmarks/mmdetection/test.py
# with srun (JOB_NAME, default test_<config name>).
set -e
set -x

if [ $# -lt 3 ]; then
    echo "usage: [GPUS=8] $0 PARTITION CFG CHECKPOINT [test.py args]" >&2
    exit 2
fi
if ! [[ ${4:-} =~ ^[0-9]+$ ]]; then
    # no GPUS argument: the environment's GPUS, default 8
    PARTITION=$1 CFG=$2 CHECKPOINT=$3
    shift 3
    set -- "$PARTITION" "$CFG" "$CHECKPOINT" "${GPUS:-8}" "$@"
fi
PARTITION=$1
CFG=$2
CHECKPOINT=$3
GPUS=$4
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
JOB_NAME=${JOB_NAME:-test_$(basename "${CFG%.*}")}
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK_DIR=${WORK_DIR:-$(dirname "$CHECKPOINT")}
MIM=${MIM:-mim}

export PYTHONPATH="$ROOT":$PYTHONPATH
if command -v "$MIM" > /dev/null 2>&1; then
    "$MIM" test mmdet "$CFG" --checkpoint "$CHECKPOINT" --launcher slurm \
        -G "$GPUS" --gpus-per-node "$GPUS_PER_NODE" \
        --cpus-per-task "$CPUS_PER_TASK" --partition "$PARTITION" \
        --srun-args "$SRUN_ARGS" --work-dir "$WORK_DIR" "${@:5}"
else
    # shellcheck disable=SC2086
    srun -p "$PARTITION" --job-name="$JOB_NAME" \
        --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
        --ntasks-per-node="$GPUS_PER_NODE" \
        --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
        "${PYTHON:-python}" -u "$ROOT/tools/benchmarks/mmdetection/test.py" "$CFG" \
        "$CHECKPOINT" --launcher slurm --work-dir "$WORK_DIR" "${@:5}"
fi
