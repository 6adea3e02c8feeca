# Copyright (c) mmdetco contributors. All rights reserved.
"""Shared fixtures: a tiny DetCo (ResNet-18, small queues) and its inputs."""
import importlib.util
import multiprocessing.process
import os
import socket
import subprocess
import uuid
from pathlib import Path

import numpy.testing  # noqa: F401  (its import runs lscpu: not in a test)
import pytest
import torch
import torch.distributed as dist
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from mmpretrain.utils import register_all_modules

import mmdetco  # noqa: F401  (registers the modules)

# As the Runner does with default_scope='mmpretrain': nested transforms
# (RandomApply) and models are looked up in MMPretrain's registries.
register_all_modules(init_default_scope=True)

# The tests of the MMSelfSup environment (make test-mmselfsup) run there.
collect_ignore = ['test_mmselfsup']

#: the checkout the tests run in (configs/, tools/)
ROOT = str(Path(__file__).resolve().parents[1])
RESNET18_CHANNELS = (64, 128, 256, 512)


def tiny_detco_cfg(**kwargs) -> dict:
    """A DetCo config small enough for CPU tests."""
    cfg = dict(
        type='DetCo',
        queue_len=16,
        feat_dim=8,
        backbone=dict(type='ResNet', depth=18, out_indices=(0, 1, 2, 3)),
        neck=dict(
            type='DetCoNeck',
            in_channels=RESNET18_CHANNELS,
            hid_channels=16,
            out_channels=8),
        head=dict(type='DetCoHead'))
    cfg.update(kwargs)
    return cfg


def tiny_inputs(batch_size: int = 4, size: int = 32, patch: int = 16):
    """The ``2 + 2 * 9`` normalised views of a batch."""
    return [torch.randn(batch_size, 3, size, size) for _ in range(2)] + \
        [torch.randn(batch_size, 3, patch, patch) for _ in range(18)]


@pytest.fixture
def tiny_detco():
    torch.manual_seed(0)
    return MODELS.build(tiny_detco_cfg())


@pytest.fixture(autouse=True)
def fast_tier_guard(request, monkeypatch):
    """Fails a test outside the ``slow`` tier that spawns a process or
    builds a Runner: ``pytest -m "not slow"`` (``make test-fast``) stays a
    tier of seconds."""
    if request.node.get_closest_marker('slow'):
        return

    def refuse(what):

        def refused(*args, **kwargs):
            pytest.fail(
                f'{request.node.nodeid} {what}: mark it @pytest.mark.slow',
                pytrace=False)

        return refused

    monkeypatch.setattr(subprocess.Popen, '__init__',
                        refuse('spawns a process'))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, 'start',
                        refuse('starts a process'))
    monkeypatch.setattr(Runner, '__init__', refuse('builds a Runner'))


@pytest.fixture(autouse=True)
def mmpretrain_scope_after_each_test():
    """Leaves MMPretrain's default scope after each test: a Runner trained
    in the process (an MMDetection config's: ``mmdet``) leaves its own scope
    current, and the next test would look its modules up there."""
    yield
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'mmpretrain':
        DefaultScope.get_instance(
            f'mmpretrain-{uuid.uuid4().hex}', scope_name='mmpretrain')


def free_port() -> int:
    """A TCP port of this machine that is free now (for a process group's
    ``tcp://127.0.0.1:<port>`` rendezvous)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def leave_process_group():
    """Ends a spawned test process once every process is there, without
    destroying its process group: torch 2.1's gloo can deadlock in the
    destruction (its worker thread frees a finished collective's tensor,
    which needs the interpreter lock that the destruction holds)."""
    dist.barrier()
    os._exit(0)


def load_tool(path: str):
    """The module of a tool script, ``path`` relative to the repository."""
    path = Path(ROOT) / path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
