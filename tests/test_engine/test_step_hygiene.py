# Copyright (c) mmdetco contributors. All rights reserved.
"""What one training iteration of the ResNet-50 pre-training config asks of
the host: its device synchronisations (a read of a tensor on the host) and
its collectives, counted in a run of 2 CPU processes (gloo) of the config
with its default hooks, on tiny data (docs/en/performance.md)."""
import collections
import functools
import json
import os
import os.path as osp
import traceback

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.hooks import Hook

from ..conftest import ROOT, free_port, leave_process_group, load_tool

R50 = 'configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py'
#: Tensor methods that read a tensor on the host (a synchronisation when the
#: tensor is on a GPU)
HOST_READS = ('item', 'tolist', 'numpy', 'cpu', '__int__', '__float__',
              '__bool__', '__index__', 'nonzero')
COLLECTIVES = ('all_reduce', 'all_gather', 'all_gather_into_tensor',
               'broadcast', 'reduce', 'reduce_scatter', 'all_to_all',
               'all_to_all_single', 'gather', 'scatter', 'barrier',
               'all_gather_object', 'broadcast_object_list')
#: per process: 3 iterations of 2 images, the logger at the third
BATCH, ITERS, LOG_INTERVAL = 2, 3, 3
#: DDP's gradient buckets of the ResNet-18 DetCo (25 MB each)
DDP_BUCKETS = 3


class StepCounter:
    """Counts the host reads and collectives between :meth:`start` and
    :meth:`stop`, and where the host reads come from."""

    def __init__(self) -> None:
        self.active = False
        self.records = {}

    def install(self, set_attr=setattr) -> 'StepCounter':
        """Wrap the counted functions, with ``set_attr`` (e.g. pytest's
        ``monkeypatch.setattr``; the default: for the rest of the
        process)."""
        for name in HOST_READS:
            set_attr(torch.Tensor, name,
                     self._wrap('host', name, getattr(torch.Tensor, name)))
        self.all_reduce = dist.all_reduce
        for name in COLLECTIVES:
            if hasattr(dist, name):
                set_attr(dist, name,
                         self._wrap('collective', name, getattr(dist, name)))
        return self

    def host_reads(self, fn, *args, **kwargs) -> collections.Counter:
        """The host reads of ``fn(*args, **kwargs)``."""
        self.start(None)
        try:
            fn(*args, **kwargs)
        finally:
            self.stop()
        return self.current['host']

    def _wrap(self, kind, name, fn):

        @functools.wraps(fn)
        def counted(*args, **kwargs):
            if self.active:
                self.active = False  # not what the call does itself
                try:
                    self.current[kind][name] += 1
                    if kind == 'host':  # name, site, device
                        self.current['sites'].append(
                            f'{name} {_site()} {args[0].device.type}')
                finally:
                    self.active = True
            return fn(*args, **kwargs)

        return counted

    def start(self, iteration: int) -> None:
        self.current = dict(
            host=collections.Counter(),
            collective=collections.Counter(),
            ddp_buckets=0,
            sites=[])
        self.records[iteration] = self.current
        self.active = True

    def stop(self) -> None:
        self.active = False

    def count_buckets(self, state, bucket):
        """A DDP communication hook: the default all-reduce, counted."""
        if self.active:
            self.current['ddp_buckets'] += 1
        tensor = bucket.buffer().div_(dist.get_world_size())
        future = self.all_reduce(tensor, async_op=True).get_future()
        return future.then(lambda fut: fut.value()[0])


def _site() -> str:
    """The innermost caller outside torch, as ``path:line``."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if f'{os.sep}torch{os.sep}' not in frame.filename:
            return f'{osp.relpath(frame.filename, ROOT)}:{frame.lineno}'
    return '?'


class StartCounting(Hook):
    priority = 'HIGHEST'

    def __init__(self, counter):
        self.counter = counter

    def before_train(self, runner):
        if hasattr(runner.model, 'register_comm_hook'):  # DDP
            runner.model.register_comm_hook(None, self.counter.count_buckets)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.counter.start(runner.iter)


class StopCounting(Hook):
    priority = 'LOWEST'

    def __init__(self, counter):
        self.counter = counter

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.counter.stop()


def tiny_r50_cfg(data_root: str, work_dir: str) -> Config:
    """The R50 config with its hooks, on ``data_root``: 32 px views, 3 x 3
    patches of 8 px, no checkpoint during the run; with a ResNet-18 (the
    counts do not depend on the depth, but for DDP's buckets)."""
    cfg = Config.fromfile(osp.join(ROOT, R50))
    cfg.model.backbone.depth = 18
    cfg.model.neck.in_channels = (64, 128, 256, 512)
    cfg.work_dir = work_dir
    cfg.launcher = 'pytorch'
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.model.queue_len = 8 * BATCH
    views = cfg.train_dataloader.dataset.pipeline[1]
    views.global_pipeline[0].scale = 32
    views.patch_pipeline[0].scale = 36
    views.patch_pipeline[-1].patch_size = 8
    cfg.train_dataloader.update(
        batch_size=BATCH, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = data_root
    for hook in cfg.custom_hooks:
        for loader in (hook.get('dataloader'), ):
            if loader is not None:
                loader.update(num_workers=0, batch_size=4)
                loader.dataset.data_root = data_root
                loader.dataset.pipeline[1].scale = 36
                loader.dataset.pipeline[2].crop_size = 32
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = LOG_INTERVAL
    cfg.default_hooks.checkpoint.update(interval=100, save_last=False)
    return cfg


def _worker(rank, world_size, port, data_root, work_dir):
    from mmdetco.engine.runners import CPUDistributedRunner
    os.environ.update(
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    counter = StepCounter()
    counter.install()
    torch.manual_seed(0)
    runner = CPUDistributedRunner.from_cfg(tiny_r50_cfg(data_root, work_dir))
    runner.register_hook(StartCounting(counter))
    runner.register_hook(StopCounting(counter))
    runner.train()
    history = {
        key: len(runner.message_hub.get_scalar(key).data[0])
        for key in ('train/loss', 'train/loss_gg_res5', 'train/acc_lg_res2',
                    'train/spread_local_res5')
    }
    with open(osp.join(work_dir, f'counts{rank}.json'), 'w') as f:
        json.dump(dict(records=counter.records, history=history), f)
    leave_process_group()


@pytest.fixture(scope='module')
def counts(tmp_path_factory):
    """The counts of each iteration, per process, and how many values of
    some scalars the message hub holds at the end."""
    root = tmp_path_factory.mktemp('hygiene')
    data_root = str(root / 'data')
    load_tool('tools/dataset_converters/generate_tiny_imagenet.py'
              ).generate_tiny_imagenet(
                  data_root,
                  num_classes=2,
                  train_per_class=BATCH * ITERS,
                  val_per_class=2,
                  size=48)
    work_dir = str(root / 'work')
    os.makedirs(work_dir)
    mp.spawn(
        _worker,
        args=(2, free_port(), data_root, work_dir),
        nprocs=2,
        join=True)
    ranks = []
    for rank in (0, 1):
        with open(osp.join(work_dir, f'counts{rank}.json')) as f:
            ranks.append(json.load(f))
    return ranks


def _reads(record, but=None, only=None) -> dict:
    """The host reads of ``record`` whose site does not (or does) contain
    ``but`` (``only``)."""
    return dict(
        collections.Counter(site.split()[0] for site in record['sites']
                            if (but is None or but not in site) and (
                                only is None or only in site)))


def _without_sites(record):
    return {k: v for k, v in record.items() if k != 'sites'}


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_host_reads_and_collectives_per_iteration(counts):
    """Iteration 1 is not logged, 2 is (and ends the epoch); 0, the first,
    also reads the EMA's step counter once. Both processes do the same."""
    rank0, rank1 = (c['records'] for c in counts)
    assert sorted(rank0) == [str(i) for i in range(ITERS)]
    for iteration in rank0:
        assert _without_sites(rank0[iteration]) == _without_sites(
            rank1[iteration]), iteration
    quiet, logged = rank0['1'], rank0['2']
    # shuffle BN (its permutations, over gloo on a GPU too), the keys'
    # gathering, DDP's gradients, the divergence guard's all-reduce and, at
    # logged iterations, the pre-emption check's
    inherent = {'all_gather': 2, 'broadcast': 2, 'all_to_all_single': 10}
    assert quiet['collective'] == dict(inherent, all_reduce=1)
    assert logged['collective'] == dict(inherent, all_reduce=2)
    assert quiet['ddp_buckets'] == logged['ddp_buckets'] == DDP_BUCKETS
    # logged: mmengine's reads of the 41 scalars, the divergence guard's and
    # the pre-emption check's; the scalars of the other iterations and the
    # health scalars, one transfer each
    assert _reads(logged, but='shuffle_bn') == {'item': 43, 'tolist': 2}
    # not logged: the divergence guard's check and mmengine's read of `loss`
    assert _reads(quiet, but='shuffle_bn') == {'item': 2}
    for record in (quiet, logged):
        # shuffle BN: its 2 permutations (global views, patches), CPU
        # tensors by construction, whatever the device of the batch
        assert _reads(record, only='shuffle_bn') == {'tolist': 2}
        assert all(
            site.endswith(' cpu') for site in record['sites']
            if 'shuffle_bn' in site), record['sites']


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_deferred_scalars_reach_the_message_hub(counts):
    """Every iteration's losses and accuracies are in the message hub,
    though only the logged iterations return them; the health scalars are
    computed at the logged iterations alone."""
    assert counts[0]['history'] == {
        'train/loss': ITERS,
        'train/loss_gg_res5': ITERS,
        'train/acc_lg_res2': ITERS,
        'train/spread_local_res5': ITERS // LOG_INTERVAL
    }


@pytest.mark.parametrize('config, benchmark', [
    (R50, True),
    ('configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py', True),
    ('configs/detco/ablations/detco-res5_resnet50_8xb32-coslr-100e_in1k.py',
     True),
    ('configs/benchmarks/classification/imagenet/'
     'resnet50_linear-8xb32-steplr-100e_in1k.py', False),
    ('configs/benchmarks/mmdetection/voc0712/'
     'faster-rcnn_r50-c4_ms-24k_voc0712.py', False),
])
def test_cudnn_benchmark_in_pre_training_only(config, benchmark):
    env_cfg = Config.fromfile(osp.join(ROOT, config)).env_cfg
    assert env_cfg.get('cudnn_benchmark', False) is benchmark
    assert env_cfg.dist_cfg.backend == 'nccl'  # the rest is inherited
