# Copyright (c) mmdetco contributors. All rights reserved.
"""The legs of ``gpu_check.py`` that run a pre-training config as a job
on this node would: ``resume`` trains it through ``tools/dist_train.sh``
with every GPU and resumes it in the middle, ``loader`` times its training
data loader on the node's CPUs. Both use a generated ImageNet-layout
folder (``tools/dataset_converters/generate_tiny_imagenet.py``)."""
import importlib.util
import math
import os
import os.path as osp
import shlex
import socket
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DETCO_R50 = osp.join(ROOT, 'configs', 'detco',
                     'detco_resnet50_8xb32-coslr-200e_in1k.py')
#: The resume leg on a GPU: the config's batch and workers, 10 iterations
#: an epoch, 2 epochs, images of about ImageNet's mean size; the loader leg
#: with the config's batch and workers.
FULL = dict(
    epoch_iters=10,
    batch_size=None,
    num_workers=None,
    size=448,
    loader_workers=None)
#: On the CPU (2 gloo processes): ResNet-18, 64 px views, 32 px patches,
#: a 64-key queue (:func:`reduced_options`); the loader leg with 2 workers.
REDUCED = dict(
    epoch_iters=2,
    batch_size=2,
    num_workers=1,
    size=96,
    loader_workers=2,
    queue_len=64)
#: Relative tolerance of the resumed run's losses: exact on the CPU; on a
#: GPU cuDNN's algorithms and atomic additions differ from run to run
#: (docs/en/performance.md#gpu_check-legs).
RTOL = dict(cpu=0.0, cuda=1e-3)
#: Per-process batches the loader leg times after its warm-up (at least).
LOADER_BATCHES = dict(cpu=4, cuda=32)


def _generator():
    path = osp.join(ROOT, 'tools', 'dataset_converters',
                    'generate_tiny_imagenet.py')
    spec = importlib.util.spec_from_file_location('generate_tiny_imagenet',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_tiny_imagenet


def sizes_of(device: str, config: str) -> dict:
    """The resume leg's batch per process, workers, iterations per epoch
    and image size on ``device``."""
    loader = Config.fromfile(config).train_dataloader
    sizes = dict(FULL if device == 'cuda' else REDUCED)
    sizes['batch_size'] = sizes['batch_size'] or loader.batch_size
    for key in ('num_workers', 'loader_workers'):
        if sizes[key] is None:
            sizes[key] = loader.num_workers
    return sizes


def make_data(work_dir: str,
              device: str,
              gpus: int,
              config: str = DETCO_R50) -> str:
    """``WORK_DIR/data``: a generated ImageNet-layout folder with the
    resume leg's 2 epochs of train images in 10 classes (and 30 val images,
    for the config's kNN monitor); kept if already there."""
    sizes = sizes_of(device, config)
    root = osp.join(work_dir, 'data')
    needed = sizes['epoch_iters'] * sizes['batch_size'] * gpus
    meta = osp.join(root, 'meta', 'train.txt')
    if osp.exists(meta):
        with open(meta) as f:
            if sum(1 for _ in f) >= needed:
                return root
    _generator()(
        root,
        num_classes=10,
        train_per_class=math.ceil(needed / 10),
        val_per_class=3,
        size=sizes['size'])
    return root


def reduced_options(cfg: Config) -> List[str]:
    """``KEY=VALUE`` overrides that shrink a DetCo config for the CPU:
    gloo, ResNet-18, 64 px global views, 96 px crops cut into 32 px
    patches, a 64-key queue."""
    options = [
        'env_cfg.dist_cfg.backend=gloo', 'model.backbone.depth=18',
        'model.neck.in_channels=[64,128,256,512]',
        f'model.queue_len={REDUCED["queue_len"]}'
    ]
    pipeline = cfg.train_dataloader.dataset.pipeline
    (view, ) = [
        i for i, t in enumerate(pipeline) if t['type'] == 'DetCoMultiView'
    ]
    key = f'train_dataloader.dataset.pipeline.{view}'
    for branch, scale in (('global_pipeline', 64), ('patch_pipeline', 96)):
        for i, t in enumerate(pipeline[view][branch]):
            if t['type'].endswith('RandomResizedCrop'):
                options.append(f'{key}.{branch}.{i}.scale={scale}')
            if t['type'] == 'JigsawPatches':
                options.append(f'{key}.{branch}.{i}.patch_size=32')
    return options


def free_port() -> int:
    """A TCP port of this machine that is free now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_logged(command: List[str], log: str, env: dict,
               timeout: float) -> None:
    """Run ``command`` with its output in ``log``; on a failure raise
    ``RuntimeError`` naming the command, the log and its last line."""
    with open(log, 'w') as out:
        code = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout).returncode
    if code:
        with open(log) as f:
            lines = [line.strip() for line in f if line.strip()]
        last = lines[-1] if lines else '(no output)'
        raise RuntimeError(f'`{shlex.join(command)}` exited with {code}: '
                           f'{last} (its output: {log})')


def iteration_losses(work_dir: str) -> Dict[int, Dict[str, float]]:
    """``{iteration: {loss key: value}}`` of a run's json logs."""
    from mmdetco.utils import find_logs, load_records
    return {
        int(r['step']): {
            k: float(v)
            for k, v in r.items() if k.startswith('loss')
        }
        for r in load_records(find_logs(work_dir), ['loss'])
    }


def compare_losses(straight: Dict[int, Dict[str, float]],
                   resumed: Dict[int, Dict[str, float]],
                   iterations: Sequence[int], rtol: float) -> float:
    """The largest relative difference between the losses of two runs at
    ``iterations``.

    Raises:
        RuntimeError: An iteration is missing, or a loss differs by more
            than ``rtol``, naming the first such iteration and key.
    """
    worst = 0.0
    for it in iterations:
        if it not in straight or it not in resumed:
            raise RuntimeError(
                f'iteration {it} is not in the json log of the '
                f'{"straight" if it not in straight else "resumed"} run')
        for key, value in straight[it].items():
            other = resumed[it].get(key, math.nan)
            diff = abs(other - value) / max(abs(value), 1e-12)
            if not diff <= rtol:
                raise RuntimeError(
                    f'the resumed run differs at iteration {it}: {key} '
                    f'{other!r}, not {value!r} as in the straight run '
                    f'(relative difference {diff:.3g} > {rtol:g})')
            worst = max(worst, diff)
    return worst


def check_resume(device: str,
                 work_dir: str,
                 gpus: int,
                 config: str = DETCO_R50,
                 timeout: float = 1200) -> dict:
    """Train ``config`` for 2 epochs of ``epoch_iters`` iterations with
    ``gpus`` processes (``tools/dist_train.sh``), checkpointing at the
    end of the first; resume a second run from that checkpoint; its
    per-iteration losses must equal the straight run's."""
    sizes = sizes_of(device, config)
    batch, workers = sizes['batch_size'], sizes['num_workers']
    epoch_iters = sizes['epoch_iters']
    data = make_data(work_dir, device, gpus, config)
    cfg = Config.fromfile(config)
    from mmdetco_demo import data_root_options
    options = data_root_options(config, data) + [
        f'train_dataloader.batch_size={batch}',
        f'train_dataloader.num_workers={workers}',
        # a loader iterator every epoch in both runs: each draws its base
        # seed from the training process's generator, which persistent
        # workers would draw once in the straight run, again on resume
        'train_dataloader.persistent_workers=False',
        f'train_dataloader.num_batch_per_epoch={epoch_iters}',
        'train_cfg.max_epochs=2',
        'randomness.seed=0',
        # both runs on the same convolution algorithms (not timed choices)
        'env_cfg.cudnn_benchmark=False',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=2',
        'default_hooks.logger.interval=1',
        'log_processor.window_size=1'
    ]
    queue_len = cfg.model.queue_len
    if device == 'cpu':
        options += reduced_options(cfg)
        queue_len = REDUCED['queue_len']
    elif queue_len % (batch * gpus):
        # the queue must take whole global batches (DetCoQueueCheckHook)
        queue_len = max(1, queue_len // (batch * gpus)) * batch * gpus
        options.append(f'model.queue_len={queue_len}')
    # one node, this one, whatever the job's environment says
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        NNODES='1',
        NODE_RANK='0',
        MASTER_ADDR='127.0.0.1')
    runs = {}
    for name, resume in (('straight', []), ('resumed', [
            '--resume',
            osp.join(work_dir, 'straight', 'epoch_1.pth')
    ])):
        runs[name] = osp.join(work_dir, name)
        env['PORT'] = str(free_port())
        run_logged([
            'bash',
            osp.join(ROOT, 'tools', 'dist_train.sh'), config,
            str(gpus), '--work-dir', runs[name], *resume, '--cfg-options',
            *options
        ], runs[name] + '.log', env, timeout)
    compared = list(range(epoch_iters + 1, 2 * epoch_iters + 1))
    diff = compare_losses(
        iteration_losses(runs['straight']), iteration_losses(runs['resumed']),
        compared, RTOL[device])
    return dict(
        processes=gpus,
        batch_per_process=batch,
        num_workers=workers,
        queue_len=queue_len,
        resumed_at=epoch_iters,
        iterations_compared=[compared[0], compared[-1]],
        max_rel_diff=diff,
        rtol=RTOL[device])


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def loader_verdict(samples_s: float, num_workers: int, cpus: int, gpus: int,
                   model_img_s: Optional[float]) -> str:
    """Whether the data loader (``samples_s`` with ``num_workers`` workers,
    measured alone) keeps ``gpus`` models of ``model_img_s`` img/s each
    busy on a node of ``cpus`` CPUs, and what to do if not."""
    if not model_img_s:
        return ('unknown: no model img/s to compare with (run the detco '
                'legs, or give --model-img-s)')
    per_worker = samples_s / max(num_workers, 1)
    # the node's CPUs are shared by the loaders of all its GPUs
    usable = min(max(num_workers, 1), cpus / gpus)
    supply = per_worker * usable
    figures = (f'{supply:.0f} samples/s per GPU with num_workers='
               f'{num_workers} ({per_worker:.1f} per worker, {cpus} CPUs for '
               f'{gpus} GPUs) for a model of {model_img_s:.0f} img/s')
    if supply >= model_img_s:
        return f'model-bound: {figures}'
    needed = math.ceil(model_img_s / per_worker)
    if needed * gpus <= cpus:
        return (f'loader-bound: raise train_dataloader.num_workers to '
                f'{needed}; {figures}')
    return (f'loader-bound: {needed} workers per GPU would be needed, more '
            f'than the node\'s CPUs: use the _gpuaug config (colour, '
            f'greyscale and blur on the GPU); {figures}')


def check_loader(device: str,
                 data: str,
                 gpus: int,
                 model_img_s: Optional[float],
                 config: str = DETCO_R50) -> dict:
    """Samples/s of the config's training data loader (on the CPU: 2
    workers, batch 2) on the images of ``data``, and the verdict of
    :func:`loader_verdict`."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    import mmdetco  # noqa: F401  (registers the transforms)
    cfg = Config.fromfile(config).train_dataloader
    cfg.dataset.data_root = data
    sizes = sizes_of(device, config)
    cfg.num_workers = sizes['loader_workers']
    cfg.batch_size = sizes['batch_size']
    # as many batches as wanted from a small folder, in one worker pool
    cfg.sampler = dict(type='InfiniteSampler', shuffle=True)
    cfg.persistent_workers = cfg.num_workers > 0
    cfg.pin_memory = device == 'cuda'
    workers = max(cfg.num_workers, 1)
    # whole rounds of the workers after a first one (their start-up)
    timed = math.ceil(LOADER_BATCHES[device] / workers) * workers
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(cfg, seed=0)
        batches = iter(loader)
        for _ in range(workers):
            next(batches)
        start = time.perf_counter()
        for _ in range(timed):
            next(batches)
        seconds = time.perf_counter() - start
    del batches, loader
    samples_s = cfg.batch_size * timed / seconds
    cpus = cpu_count()
    return dict(
        samples_s=round(samples_s, 2),
        batch_size=cfg.batch_size,
        num_workers=cfg.num_workers,
        batches_timed=timed,
        cpus=cpus,
        gpus=gpus,
        model_img_s=model_img_s,
        verdict=loader_verdict(samples_s, cfg.num_workers, cpus, gpus,
                               model_img_s))
