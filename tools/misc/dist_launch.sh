#!/usr/bin/env bash
# Usage: tools/misc/dist_launch.sh GPUS SCRIPT [SCRIPT args]
# Runs SCRIPT in GPUS processes per node with torch.distributed.run: the
# launcher of tools/dist_train.sh and tools/dist_test.sh.
# One node: the rendezvous takes a free port of this machine, so several
# jobs can share it; PORT=N fixes the port instead.
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (the address of node 0,
# reachable from every node) and PORT (free on node 0), the same on every
# node but NODE_RANK.
set -e

GPUS=$1
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PYTHON=${PYTHON:-python}

if [ "$NNODES" -gt 1 ]; then
    if [ -z "$MASTER_ADDR" ] || [ -z "$PORT" ]; then
        echo "$0: NNODES=$NNODES needs MASTER_ADDR (the address of node" \
            "0) and PORT (a port free on node 0), the same on every" \
            "node: e.g. MASTER_ADDR=10.0.0.1 PORT=29500 NNODES=$NNODES" \
            "NODE_RANK=<this node's rank> $0 ..." >&2
        exit 2
    fi
    RENDEZVOUS=(--nnodes="$NNODES" --node_rank="$NODE_RANK"
        --master_addr="$MASTER_ADDR" --master_port="$PORT")
elif [ -n "$PORT" ]; then
    RENDEZVOUS=(--nnodes=1 --node_rank=0
        --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="$PORT")
else
    # a free port, taken by torch.distributed.run itself (no race with
    # another job starting on this machine)
    RENDEZVOUS=(--standalone)
fi

# exec: signals sent to this script (SIGTERM of a pre-emption) reach
# torch.distributed.run, which passes them on to its processes
PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
exec "$PYTHON" -m torch.distributed.run \
    "${RENDEZVOUS[@]}" \
    --nproc_per_node="$GPUS" \
    "${@:2}"
