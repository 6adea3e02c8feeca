# Copyright (c) mmdetco contributors. All rights reserved.
"""KNNMonitorHook under torch.distributed (2 CPU processes, gloo): the
figure is the one a single process computes on the whole split."""
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mmdetco.engine import KNNMonitorHook
from ...conftest import free_port, leave_process_group, tiny_detco_cfg
from .test_knn_monitor_hook import image_folder_loader, write_image_folder

# odd sizes: the sampler pads the second process's shard with a repeat
BANK, QUERY = [4, 4, 3, 10], [2, 3, 3, 5]


def _evaluate(rank, world_size, init_method, root, out_file):
    """Both kinds of evaluation (leave-one-out on a shuffled split, queries
    against a bank) with the pixel baseline, then a split that only the
    first process has; saves what each logged and whether the last monitor
    is on."""
    if world_size > 1:
        dist.init_process_group(
            'gloo', init_method=init_method, rank=rank, world_size=world_size)
    torch.manual_seed(0)  # the same model on every process
    model = MODELS.build(tiny_detco_cfg())
    if world_size > 1:
        model = MMDistributedDataParallel(module=model, device_ids=None)
    logged = dict(info=[], scalars=[], warning=[])
    runner = SimpleNamespace(
        model=model,
        seed=0,
        iter=0,
        epoch=0,
        timestamp='t',
        build_dataloader=Runner.build_dataloader,
        logger=SimpleNamespace(
            info=logged['info'].append, warning=logged['warning'].append),
        visualizer=SimpleNamespace(add_scalars=lambda scalars, **kwargs:
                                   logged['scalars'].append(scalars)))
    hooks = [
        KNNMonitorHook(
            dataloader=image_folder_loader(f'{root}/bank', shuffle=True),
            k=5,
            pixel_baseline=True),
        KNNMonitorHook(
            dataloader=image_folder_loader(f'{root}/bank'),
            query_dataloader=image_folder_loader(f'{root}/query'),
            k=5,
            pixel_baseline=True),
        KNNMonitorHook(
            dataloader=image_folder_loader(
                f'{root}/{"bank" if rank == 0 else "absent"}'))
    ]
    for hook in hooks:
        hook.before_train(runner)  # evaluates the initial weights
    logged['last_on'] = hooks[-1].dataloader is not None
    torch.save(logged, f'{out_file}.{world_size}.{rank}')
    if world_size > 1:
        leave_process_group()


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('knn')
    write_image_folder(root / 'bank', BANK, seed=0)
    write_image_folder(root / 'query', QUERY, seed=1)
    return str(root)


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.timeout(180)  # a hang fails fast, not at the default 300 s
def test_two_processes_log_the_single_process_figure(root, tmp_path):
    out = str(tmp_path / 'logged')
    _evaluate(0, 1, None, root, out)
    mp.spawn(
        _evaluate,
        args=(2, f'tcp://127.0.0.1:{free_port()}', root, out),
        nprocs=2,
        join=True)
    single, rank0, rank1 = (torch.load(f'{out}.{world_size}.{rank}')
                            for world_size, rank in ((1, 0), (2, 0), (2, 1)))
    assert single['last_on'] and single['warning'] == []
    # a split missing on one process turns the monitor off on all
    for rank in (rank0, rank1):
        assert not rank['last_on']
        assert f'{root}/absent (read by its `dataloader`)' in \
            rank['warning'][0]
    # every sample once: 21 in the bank, 13 queries
    assert 'kNN (k=5, 21 samples)' in single['info'][0]
    assert 'kNN (k=5, 13 samples)' in single['info'][1]
    # the same figures, logged alike by every process (the single process
    # also evaluates with its last monitor)
    assert rank0['info'] == rank1['info'] == single['info'][:2]
    assert rank0['scalars'] == single['scalars'][:2]
    assert rank1['scalars'] == []  # the json log is the main process's
    # the figures say something: neither 0 nor 100 %, so a wrong order or
    # a repeated sample would show
    for scalars in single['scalars'][:2]:
        for name in ('knn/top1', 'knn/top1_pixels'):
            assert 0 < scalars[name] < 100, (name, scalars[name])
