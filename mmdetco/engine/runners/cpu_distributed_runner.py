# Copyright (c) mmdetco contributors. All rights reserved.
import os

import torch
import torch.distributed as dist
from mmengine.dist import init_dist
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ...utils.slurm_env import slurm_dist_env


# mmengine's root registry: `RUNNERS.build(cfg)` looks `runner_type` up there,
# before the config's default scope is set
@RUNNERS.register_module()
class CPUDistributedRunner(Runner):
    """:class:`Runner` that also trains with several CPU processes.

    Launched (``--launcher pytorch`` or ``slurm``) on a machine without a
    GPU, mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its
    default DDP wrapper passes ``device_ids=[LOCAL_RANK]``; both fail. This
    runner initialises the process group with the configured backend from
    the launcher's environment instead (mmengine then skips its own
    initialisation) and wraps the model with ``device_ids=None``. With a
    GPU, or without a launcher, it is :class:`Runner`.

    A slurm task (``--launcher slurm``) is set up as ``torch.distributed.run``
    sets up its processes, from the slurm variables
    (:func:`~mmdetco.utils.slurm_env.slurm_dist_env`): mmengine's own
    slurm set-up selects GPU ``SLURM_LOCALID``, which does not exist when
    each task sees only its own GPU, and takes port 29500 for every job.

    The DetCo configs select it with ``runner_type = 'CPUDistributedRunner'``
    (``configs/_base_/default_runtime.py``), so ``tools/train.py``, MIM's and
    MMPretrain's ``tools/train.py`` (which build ``cfg.runner_type``) and
    ``CPUDistributedRunner.from_cfg(cfg)`` all run the same way.

    Raises:
        ValueError: If a launched run without a GPU is configured with a
            backend other than ``gloo``, the only one of torch.distributed
            that runs on CPU.
    """

    def _on_cpu_processes(self) -> bool:
        """Whether this run is launched on a machine without a GPU."""
        return self.distributed and not torch.cuda.is_available()

    def setup_env(self, env_cfg: dict) -> None:
        """Initialise the CPU process group, then set up as Runner."""
        if self.distributed and not dist.is_initialized():
            if self.launcher == 'slurm':
                os.environ.update(
                    slurm_dist_env(os.environ, torch.cuda.device_count()))
            if self._on_cpu_processes():
                backend = env_cfg.get('dist_cfg', {}).get('backend')
                if backend != 'gloo':
                    raise ValueError(
                        'Distributed training without a GPU needs the gloo '
                        'backend, but env_cfg.dist_cfg.backend is '
                        f'{backend!r}: pass --cfg-options '
                        'env_cfg.dist_cfg.backend=gloo.')
                dist.init_process_group(backend='gloo')
            elif self.launcher == 'slurm':
                init_dist('pytorch', **env_cfg.get('dist_cfg', {}))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        """Wrap as Runner, with ``device_ids=None`` on CPU processes."""
        if self._on_cpu_processes():
            wrapper = dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
            wrapper.update(model_wrapper_cfg or {})
            wrapper['device_ids'] = None
            model_wrapper_cfg = wrapper
        return super().wrap_model(model_wrapper_cfg, model)
