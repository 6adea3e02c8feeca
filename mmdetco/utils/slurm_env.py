# Copyright (c) mmdetco contributors. All rights reserved.
"""The process-group environment of a task that slurm's ``srun`` started."""
import subprocess
from typing import Dict, Mapping

#: ``MASTER_PORT`` of a job that sets none: ``PORT_BASE + job id % PORTS``
PORT_BASE, PORTS = 10000, 20000


def first_host(nodelist: str) -> str:
    """The first host of a slurm host list (``node[01-04]``), by
    ``scontrol show hostnames``."""
    try:
        out = subprocess.run(['scontrol', 'show', 'hostnames', nodelist],
                             capture_output=True,
                             text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(
            f'`scontrol show hostnames {nodelist}` failed ({error}): it '
            'names the first node of the job, the rendezvous host; set '
            'MASTER_ADDR to that host instead.') from error
    return out.split()[0]


def slurm_dist_env(environ: Mapping[str, str],
                   device_count: int) -> Dict[str, str]:
    """``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
    ``MASTER_PORT`` of a slurm task, as ``torch.distributed.run`` sets them
    for its processes.

    The rank and the world size are ``SLURM_PROCID`` and ``SLURM_NTASKS``.
    The local rank, the index of the task's GPU among those it sees, is
    ``SLURM_LOCALID`` modulo ``device_count``: the local id itself when
    each task sees every GPU of its node, 0 when each sees only its own
    (``--gpus-per-task=1``, ``--gpu-bind``); without GPUs, the local id.
    ``MASTER_ADDR`` and ``MASTER_PORT`` are kept if set; otherwise the
    first node of ``SLURM_NODELIST`` and ``PORT_BASE + SLURM_JOB_ID %
    PORTS`` (jobs sharing a node then use different ports).

    Args:
        environ (Mapping[str, str]): The task's environment variables.
        device_count (int): The number of GPUs the task sees.

    Returns:
        dict: The five variables, as strings.
    """
    missing = [
        k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
        if k not in environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher slurm: {", ".join(missing)} not set; start the '
            'processes with srun (tools/slurm_train.sh), or use another '
            'launcher.')
    local = int(environ.get('SLURM_LOCALID', environ['SLURM_PROCID']))
    if device_count > 0:
        local %= device_count
    port = environ.get('MASTER_PORT') or str(
        PORT_BASE + int(environ.get('SLURM_JOB_ID', 0)) % PORTS)
    return dict(
        RANK=environ['SLURM_PROCID'],
        LOCAL_RANK=str(local),
        WORLD_SIZE=environ['SLURM_NTASKS'],
        MASTER_ADDR=environ.get('MASTER_ADDR')
        or first_host(environ['SLURM_NODELIST']),
        MASTER_PORT=port)
