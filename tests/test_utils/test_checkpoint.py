# Copyright (c) mmdetco contributors. All rights reserved.
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

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
