# Copyright (c) mmdetco contributors. All rights reserved.
"""The restricted unpickler of torch < 2.4 (the classic stack's torch)."""
import os
import pickle
from collections import Counter

import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmdetco.utils import mmengine_checkpoint_globals
from mmdetco.utils.restricted_unpickler import load_restricted

pytestmark = pytest.mark.skipif(
    hasattr(torch.serialization, 'add_safe_globals'),
    reason='used before torch 2.4 only (torch.load(weights_only=True) '
    'with add_safe_globals from then on)')


class Payload:

    def __reduce__(self):
        return os.system, ('echo unpickled',)


def test_reads_an_mmengine_training_checkpoint(tmp_path):
    hub = MessageHub.get_instance('test_restricted_unpickler')
    hub.update_scalar('train/loss', 2.5)
    path = tmp_path / 'ckpt.pth'
    torch.save(
        dict(
            state_dict=dict(w=torch.arange(3.), n=torch.tensor(1)),
            message_hub=hub.state_dict(),
            meta=dict(dtype=torch.float16, device=torch.device('cpu'))),
        path)
    ckpt = load_restricted(path, mmengine_checkpoint_globals())
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.current() == 2.5
    assert ckpt['meta'] == dict(
        dtype=torch.float16, device=torch.device('cpu'))


def test_refuses_other_globals(tmp_path):
    path = tmp_path / 'payload.pth'
    torch.save(dict(state_dict={}, payload=Payload()), path)
    with pytest.raises(pickle.UnpicklingError,
                       match='Weights only load failed.*GLOBAL posix.system'):
        load_restricted(path, mmengine_checkpoint_globals())


def test_getattr_only_for_history_buffer_statistics(tmp_path):

    class Reduce:
        """``getattr`` on an allowed type other than HistoryBuffer."""

        def __reduce__(self):
            return getattr, (Counter, 'fromkeys')

    path = tmp_path / 'getattr.pth'
    torch.save(Reduce(), path)
    with pytest.raises(pickle.UnpicklingError,
                       match=r"getattr\(type, 'fromkeys'\)"):
        load_restricted(path, mmengine_checkpoint_globals())
