#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [PORT=N] \
#        tools/slurm_train.sh PARTITION JOB_NAME \
#        CONFIG WORK_DIR [train.py args]
# (tools/misc/slurm_launch.sh)
exec bash "$(dirname "$0")/misc/slurm_launch.sh" "$1" "$2" \
    "$(dirname "$0")/train.py" "$3" --work-dir="$4" --launcher=slurm "${@:5}"
