#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [PORT=N] \
#        [SRUN_ARGS=...] \
#        tools/misc/slurm_launch.sh PARTITION JOB_NAME SCRIPT [SCRIPT args]
# Runs SCRIPT in GPUS slurm tasks: the srun of tools/slurm_train.sh and
# tools/slurm_test.sh. CPUS_PER_TASK: the config's data-loader workers + 1
# (docs/en/launch.md). PORT: the rendezvous port on the job's first node
# (default: derived from the job id, mmdetco/utils/slurm_env.py).
set -x

PARTITION=$1
JOB_NAME=$2
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
if [ -n "$PORT" ]; then
    export MASTER_PORT=$PORT
fi

# exec: signals sent to this script reach srun, which passes them on
PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
exec srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "${@:3}"
