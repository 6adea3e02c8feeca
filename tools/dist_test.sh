#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# One node: a free port (PORT=N to fix it). Multi-node: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on every node
# (tools/misc/dist_launch.sh).
exec bash "$(dirname "$0")/misc/dist_launch.sh" "$3" "$(dirname "$0")/test.py" \
    "$1" "$2" --launcher pytorch "${@:4}"
