# Copyright (c) mmdetco contributors. All rights reserved.
"""Multi-process training on CPU with the mm Runner."""
import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> None:
    """Let a launched (``--launcher pytorch``/``slurm``) Runner train on
    CPU processes.

    On a machine without a GPU, mmengine's ``init_dist`` calls
    ``torch.cuda.set_device`` and its default DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``; both fail. Here the process group is
    initialised with the configured backend from the launcher's environment
    (the Runner then skips its own initialisation), and the model is wrapped
    with ``device_ids=None``. With a GPU, or without a launcher, nothing
    changes.

    Args:
        cfg (Config): The training config after the command-line overrides;
            ``cfg.launcher`` and ``cfg.env_cfg.dist_cfg.backend`` are read,
            ``cfg.model_wrapper_cfg`` is set.

    Raises:
        ValueError: If the backend is not ``gloo``, the only one of
            torch.distributed that runs on CPU.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if backend != 'gloo':
        raise ValueError(
            f'Distributed training without a GPU needs the gloo backend, but '
            f'env_cfg.dist_cfg.backend is {backend!r}: pass --cfg-options '
            'env_cfg.dist_cfg.backend=gloo.')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
