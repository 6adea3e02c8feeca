#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [PORT=N] \
#        tools/slurm_test.sh PARTITION JOB_NAME \
#        CONFIG CHECKPOINT [test.py args]
# (tools/misc/slurm_launch.sh)
exec bash "$(dirname "$0")/misc/slurm_launch.sh" "$1" "$2" \
    "$(dirname "$0")/test.py" "$3" "$4" --launcher=slurm "${@:5}"
