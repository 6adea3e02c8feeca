# Copyright (c) mmdetco contributors. All rights reserved.
"""LoadImageOrSkip: a corrupt, truncated or missing image is skipped, named
in the log, up to ``max_skipped``; then the run stops."""
from unittest import mock

import pytest

from mmdetco.datasets import LoadImageOrSkip
from ..conftest import LOG, jpeg


def load(path, **kwargs):
    return LoadImageOrSkip(**kwargs)(dict(img_path=str(path)))


def test_corrupt_file_is_skipped_with_its_path(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'\x00garbage' * 100)
    transform = LoadImageOrSkip()
    with mock.patch(LOG) as log:
        assert transform(dict(img_path=str(bad))) is None
    assert str(bad) in log.call_args[0][0]
    assert '1 skipped in this process' in log.call_args[0][0]
    assert transform.skipped == 1


def test_truncated_jpeg_is_skipped(tmp_path):
    good = jpeg(tmp_path / 'good.jpg')
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(good.read_bytes()[:-50])
    assert load(good)['img'].shape == (48, 64, 3)
    with mock.patch(LOG) as log:
        assert load(cut) is None
    assert 'truncated JPEG' in log.call_args[0][0]


def test_missing_file_is_skipped(tmp_path):
    with mock.patch(LOG) as log:
        assert load(tmp_path / 'gone.jpg') is None
    assert 'gone.jpg' in log.call_args[0][0]


def test_past_the_threshold_the_run_stops(tmp_path):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not a png')
    transform = LoadImageOrSkip(max_skipped=2)
    with mock.patch(LOG):
        for _ in range(2):
            assert transform(dict(img_path=str(bad))) is None
        with pytest.raises(RuntimeError, match='max_skipped=2.*bad.png'):
            transform(dict(img_path=str(bad)))
    with pytest.raises(TypeError, match='ignore_empty'):
        LoadImageOrSkip(ignore_empty=True)
