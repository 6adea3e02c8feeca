# Copyright (c) mmdetco contributors. All rights reserved.
from types import SimpleNamespace
from unittest import mock

import pytest

from mmdetco.engine import DetCoQueueCheckHook


def runner(queue_len, batch_size, drop_last=True):
    return SimpleNamespace(
        model=SimpleNamespace(queue_len=queue_len),
        train_dataloader=SimpleNamespace(
            batch_size=batch_size, drop_last=drop_last),
        logger=mock.Mock())


def test_divisible_queue_passes_and_logs_the_global_batch():
    r = runner(65536, 32)
    DetCoQueueCheckHook().before_train(r)
    assert 'global batch of 32 = 32 x 1 processes' in \
        r.logger.info.call_args[0][0]


def test_indivisible_queue_names_the_fields():
    with pytest.raises(
            ValueError,
            match=r'queue_len` \(1000\).*\(48 = '
            r'train_dataloader.batch_size 48'):
        DetCoQueueCheckHook().before_train(runner(1000, 48))


def test_partial_batches_are_refused():
    with pytest.raises(ValueError, match='drop_last=True'):
        DetCoQueueCheckHook().before_train(runner(64, 32, drop_last=False))


def test_models_without_queue_are_ignored():
    r = runner(None, 3, drop_last=False)
    DetCoQueueCheckHook().before_train(r)
