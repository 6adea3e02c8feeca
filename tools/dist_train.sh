#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args]
# One node: a free port (PORT=N to fix it). Multi-node: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on every node
# (tools/misc/dist_launch.sh).
exec bash "$(dirname "$0")/misc/dist_launch.sh" "$2" "$(dirname "$0")/train.py" \
    "$1" --launcher pytorch "${@:3}"
