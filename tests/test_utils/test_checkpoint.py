# Copyright (c) mmdetco contributors. All rights reserved.
import os
import pickle
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmdetco.utils.checkpoint import load_weights_only

#: torch < 2.4 (the classic stack's): mmdetco's restricted unpickler
before_2_4 = pytest.mark.skipif(
    hasattr(torch.serialization, 'add_safe_globals'),
    reason='used before torch 2.4 only (torch.load(weights_only=True) '
    'with add_safe_globals from then on)')
LOAD = 'import torch; torch.load({path!r}, map_location="cpu")'


@pytest.fixture
def mmengine_checkpoint(tmp_path):
    """What mmengine's CheckpointHook writes besides tensors: the message
    hub (HistoryBuffer of numpy values) and numpy scalars."""
    hub = MessageHub.get_instance('test_checkpoint')
    for value in (1.5, 2.5):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    path = tmp_path / 'iter_3.pth'
    torch.save(
        dict(
            meta=dict(iter=3, seed=np.int64(7), best=np.float64(0.5)),
            state_dict=dict(w=torch.ones(2)),
            message_hub=hub.state_dict()), path)
    return str(path)


def run(code):
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True)


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.skipif(
    not hasattr(torch.serialization, 'add_safe_globals'),
    reason='weights_only loading is the default since torch 2.6')
def test_weights_only_load_needs_and_gets_the_allow_list(mmengine_checkpoint):
    code = LOAD.format(path=mmengine_checkpoint)
    assert run(code).returncode != 0  # plain torch refuses it
    result = run('import mmdetco; ' + code)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_allow_list_stays_minimal():
    from mmdetco.utils import mmengine_checkpoint_globals
    names = {
        f'{getattr(g, "__module__", "")}.{g.__name__}'
        for g in mmengine_checkpoint_globals()
    }
    assert len(names) == 8
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    assert not any('eval' in n or 'exec' in n or 'system' in n for n in names)


def test_mmengine_reads_its_checkpoints_and_refuses_others(
        mmengine_checkpoint, tmp_path):
    """mmengine's own loader (resume, ``load_from``, ``Pretrained``) reads
    its training checkpoints and refuses other globals, on every torch."""
    from mmengine.runner.checkpoint import CheckpointLoader

    import mmdetco  # noqa: F401
    ckpt = CheckpointLoader.load_checkpoint(mmengine_checkpoint, 'cpu')
    assert ckpt['meta']['iter'] == 3
    unsafe = tmp_path / 'unsafe.pth'
    torch.save(dict(state_dict={}, bad=Unsafe()), unsafe)
    with pytest.raises(Exception, match='(?is)weights.only.*GLOBAL.*Unsafe'):
        CheckpointLoader.load_checkpoint(str(unsafe), 'cpu')


class Unsafe:
    """A type that no allow-list has."""


class Payload:

    def __reduce__(self):
        return os.system, ('echo unpickled', )


@before_2_4
def test_restricted_reads_an_mmengine_training_checkpoint(tmp_path):
    hub = MessageHub.get_instance('test_restricted_unpickler')
    hub.update_scalar('train/loss', 2.5)
    path = tmp_path / 'ckpt.pth'
    torch.save(
        dict(
            state_dict=dict(w=torch.arange(3.), n=torch.tensor(1)),
            message_hub=hub.state_dict(),
            meta=dict(dtype=torch.float16, device=torch.device('cpu'))),
        path)
    ckpt = load_weights_only(path)
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.current() == 2.5
    assert ckpt['meta'] == dict(
        dtype=torch.float16, device=torch.device('cpu'))


@before_2_4
def test_restricted_refuses_other_globals(tmp_path):
    path = tmp_path / 'payload.pth'
    torch.save(dict(state_dict={}, payload=Payload()), path)
    with pytest.raises(pickle.UnpicklingError,
                       match='Weights only load failed.*GLOBAL posix.system'):
        load_weights_only(path)


@before_2_4
def test_restricted_getattr_only_for_history_buffer_statistics(tmp_path):

    class Reduce:
        """``getattr`` on an allowed type other than HistoryBuffer."""

        def __reduce__(self):
            return getattr, (Counter, 'fromkeys')

    path = tmp_path / 'getattr.pth'
    torch.save(Reduce(), path)
    with pytest.raises(pickle.UnpicklingError,
                       match=r"getattr\(type, 'fromkeys'\)"):
        load_weights_only(path)
