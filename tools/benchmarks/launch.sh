#!/usr/bin/env bash
# Sourced by the benchmark launch scripts of mmdetection/ and
# classification/ (mim_{dist,slurm}_*.sh): their arguments, environment and
# work dir, and the command they run. A script reads its arguments with
# benchmark_args, then runs benchmark_train or benchmark_test:
#
#   benchmark_args dist|slurm train|test "$@"
#   benchmark_train CODEBASE WRAPPER PART...
#   (or benchmark_test CODEBASE WRAPPER)
#
# With the mim executable ($MIM, default mim), that is `mim train|test
# CODEBASE` (mmdet, mmpretrain); without it, WRAPPER (the Python script
# that does the same) with `python -m torch.distributed.run` (dist) or srun
# (slurm). PYTHONPATH starts with the repository root.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# pretrain_work_dir CFG PRETRAIN: print the default work dir of a training,
#
#   work_dirs/benchmarks/<cfg name>/<pretrain dir>_<pretrain name>-<hash>
#
# <pretrain dir> and <pretrain name> are the parent folder and the file name
# (without extension) of PRETRAIN, <hash> the first 8 hex digits of the
# SHA-1 of its absolute path (normalised, symbolic links kept as given).
# Every pre-training ends in epoch_200.pth (or epoch_100.pth): the folder
# tells them apart for a reader, the hash for certain (the same folder name
# in two places, a path given as ../x or ./x gives the same hash).
#   e.g. work_dirs/benchmarks/mask-rcnn_r50-c4_ms-1x_coco/
#        detco_resnet50_8xb32-coslr-200e_in1k_epoch_200-1a2b3c4d
pretrain_work_dir() {
    local cfg=$1 pretrain=$2 abs parent stem hash
    case "$pretrain" in
        /*) abs=$pretrain ;;
        *) abs="$PWD/$pretrain" ;;
    esac
    # lexical normalisation (as Python's os.path.normpath), if available
    abs=$(realpath -m -s -- "$abs" 2>/dev/null || printf '%s' "$abs")
    if command -v sha1sum > /dev/null 2>&1; then
        hash=$(printf '%s' "$abs" | sha1sum)
    elif command -v shasum > /dev/null 2>&1; then
        hash=$(printf '%s' "$abs" | shasum -a 1)
    else
        hash=$(printf '%s' "$abs" | cksum | awk '{printf "%08x", $1}')
    fi
    hash=${hash:0:8}
    parent=$(basename "$(dirname "$abs")")
    stem=$(basename "$abs")
    stem=${stem%.*}
    if [ "$parent" = / ] || [ -z "$parent" ]; then
        parent=root
    fi
    printf '%s\n' "work_dirs/benchmarks/$(basename "${cfg%.*}")/${parent}_${stem}-${hash}"
}

# benchmark_args dist|slurm train|test ARG...: read the script's arguments,
#
#   dist:  CFG PRETRAIN|CHECKPOINT [GPUS] [train.py|test.py args]
#   slurm: PARTITION CFG PRETRAIN|CHECKPOINT [GPUS] [train.py|test.py args]
#
# (too few: the usage, exit 2). Sets PARTITION (slurm), CFG, PRETRAIN
# (train) or CHECKPOINT (test), GPUS (the number right after
# PRETRAIN/CHECKPOINT, else the environment's GPUS, default 8), PY_ARGS
# (the rest, passed on), MIM (default mim); on Slurm also GPUS_PER_NODE
# (default min(GPUS, 8)), CPUS_PER_TASK (default 5), SRUN_ARGS and JOB_NAME
# (default the config name, test_<config name> for a test).
benchmark_args() {
    BENCHMARK_LAUNCHER=$1
    local mode=$2 names=(CFG PRETRAIN) job_prefix="" gpus_usage=" [GPUS]"
    shift 2
    if [ "$mode" = test ]; then
        names=(CFG CHECKPOINT) job_prefix=test_
    fi
    if [ "$BENCHMARK_LAUNCHER" = slurm ]; then
        names=(PARTITION "${names[@]}") gpus_usage=""
    fi
    if [ $# -lt ${#names[@]} ]; then
        echo "usage: [GPUS=8] $0 ${names[*]}$gpus_usage [$mode.py args]" >&2
        exit 2
    fi
    if [ "$BENCHMARK_LAUNCHER" = slurm ]; then
        PARTITION=$1
        shift
    fi
    CFG=$1
    if [ "$mode" = test ]; then
        CHECKPOINT=$2
    else
        PRETRAIN=$2
    fi
    shift 2
    if [[ ${1:-} =~ ^[0-9]+$ ]]; then
        GPUS=$1
        shift
    else
        # no GPUS argument: the environment's GPUS, default 8
        GPUS=${GPUS:-8}
    fi
    PY_ARGS=("$@")
    if [ "$BENCHMARK_LAUNCHER" = slurm ]; then
        GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
        CPUS_PER_TASK=${CPUS_PER_TASK:-5}
        SRUN_ARGS=${SRUN_ARGS:-""}
        JOB_NAME=${JOB_NAME:-$job_prefix$(basename "${CFG%.*}")}
    fi
    MIM=${MIM:-mim}
}

# benchmark_train CODEBASE WRAPPER PART...: train CFG from PRETRAIN, each
# model.PART (backbone, roi_head.shared_head) initialised from its
# `backbone.*` (--cfg-options model.PART.init_cfg.type=Pretrained
# model.PART.init_cfg.checkpoint=PRETRAIN model.PART.init_cfg.prefix=backbone.,
# before those of PY_ARGS), in WORK_DIR (default pretrain_work_dir).
benchmark_train() {
    local codebase=$1 wrapper=$2 part options=()
    shift 2
    for part in "$@"; do
        options+=(
            "model.$part.init_cfg.type=Pretrained"
            "model.$part.init_cfg.checkpoint=$PRETRAIN"
            "model.$part.init_cfg.prefix=backbone."
        )
    done
    WORK_DIR=${WORK_DIR:-$(pretrain_work_dir "$CFG" "$PRETRAIN")}
    MIM_CMD=(train "$codebase" "$CFG")
    PY_CMD=("$wrapper" "$CFG")
    "run_$BENCHMARK_LAUNCHER" --work-dir "$WORK_DIR" --cfg-options \
        "${options[@]}" "${PY_ARGS[@]}"
}

# benchmark_test CODEBASE WRAPPER: test CHECKPOINT, logs in WORK_DIR
# (default the folder of CHECKPOINT).
benchmark_test() {
    WORK_DIR=${WORK_DIR:-$(dirname "$CHECKPOINT")}
    MIM_CMD=(test "$1" "$CFG" --checkpoint "$CHECKPOINT")
    PY_CMD=("$2" "$CFG" "$CHECKPOINT")
    "run_$BENCHMARK_LAUNCHER" --work-dir "$WORK_DIR" "${PY_ARGS[@]}"
}

# run_dist ARG...: `$MIM MIM_CMD` on GPUS local GPUs (PORT), or without mim
# PY_CMD with torch.distributed.run (PORT, default 29500); ARG... after
# --launcher pytorch.
run_dist() {
    export PYTHONPATH="$ROOT":$PYTHONPATH
    if command -v "$MIM" > /dev/null 2>&1; then
        "$MIM" "${MIM_CMD[@]}" --launcher pytorch -G "$GPUS" \
            ${PORT:+--port "$PORT"} "$@"
    else
        "${PYTHON:-python}" -m torch.distributed.run --nproc_per_node="$GPUS" \
            --master_port="${PORT:-29500}" "${PY_CMD[@]}" \
            --launcher pytorch "$@"
    fi
}

# run_slurm ARG...: `$MIM MIM_CMD` on Slurm, or without mim PY_CMD with
# srun (PARTITION, GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS,
# JOB_NAME); ARG... after --launcher slurm.
run_slurm() {
    export PYTHONPATH="$ROOT":$PYTHONPATH
    if command -v "$MIM" > /dev/null 2>&1; then
        "$MIM" "${MIM_CMD[@]}" --launcher slurm -G "$GPUS" \
            --gpus-per-node "$GPUS_PER_NODE" --cpus-per-task "$CPUS_PER_TASK" \
            --partition "$PARTITION" --srun-args "$SRUN_ARGS" "$@"
    else
        # shellcheck disable=SC2086
        srun -p "$PARTITION" --job-name="$JOB_NAME" \
            --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
            --ntasks-per-node="$GPUS_PER_NODE" \
            --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
            "${PYTHON:-python}" -u "${PY_CMD[@]}" --launcher slurm "$@"
    fi
}
