# Copyright (c) mmdetco contributors. All rights reserved.
"""CPUDistributedRunner in this process: without a launcher it is
mmengine's Runner; launched on CPU it needs gloo, initialises the process
group itself and wraps the model without device ids. (Two CPU processes
training through the launchers: tests/test_tools/test_dist_train.py.)"""
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.registry import RUNNERS

from mmdetco.engine import CPUDistributedRunner
from ...conftest import free_port


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.linear(inputs)


def build(work_dir, launcher, backend):
    return CPUDistributedRunner(
        model=ToyModel(),
        work_dir=str(work_dir),
        launcher=launcher,
        env_cfg=dict(dist_cfg=dict(backend=backend)),
        default_scope='mmpretrain')  # as the configs: the tests' scope


@pytest.fixture
def launched(monkeypatch):
    """The environment of a one-process launch (``--launcher pytorch``) on
    a machine without a GPU; the process group is destroyed afterwards."""
    for key, value in dict(
            RANK='0',
            LOCAL_RANK='0',
            WORLD_SIZE='1',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(free_port()),
            # set, so that the runner leaves them to later tests
            OMP_NUM_THREADS=str(torch.get_num_threads()),
            MKL_NUM_THREADS=str(torch.get_num_threads())).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_found_by_the_runner_type_of_a_config():
    assert RUNNERS.get('CPUDistributedRunner') is CPUDistributedRunner


@pytest.mark.slow
def test_without_a_launcher_it_is_the_runner(tmp_path):
    runner = build(tmp_path, 'none', 'nccl')
    assert not runner.distributed
    assert not dist.is_initialized()
    assert isinstance(runner.model, ToyModel)


@pytest.mark.stack
@pytest.mark.slow
def test_launched_on_cpu_it_needs_gloo(launched, tmp_path):
    with pytest.raises(
            ValueError,
            match=r"backend is 'nccl'.*"
            r'env_cfg\.dist_cfg\.backend=gloo'):
        build(tmp_path, 'pytorch', 'nccl')
    assert not dist.is_initialized()


@pytest.mark.stack
@pytest.mark.slow
def test_launched_on_cpu_it_wraps_without_device_ids(launched, tmp_path):
    runner = build(tmp_path, 'pytorch', 'gloo')
    assert runner.distributed and runner.world_size == 1
    assert dist.get_backend() == 'gloo'
    assert isinstance(runner.model, MMDistributedDataParallel)
    assert runner.model.device_ids is None
    assert isinstance(runner.model.module, ToyModel)
