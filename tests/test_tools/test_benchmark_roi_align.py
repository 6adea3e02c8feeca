# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/benchmark_roi_align.py``: the demo detector's RoI
layer against mmcv's and torchvision's, timed in one run."""
import json

from ..conftest import load_tool


def test_times_and_ratios(capsys):
    result = load_tool('tools/analysis_tools/benchmark_roi_align.py').main(
        ['--iters', '1', '--rois', '4', '--batch-size', '2'])
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == result
    assert result['rois'] == 8
    for name in ('layer', 'mmcv', 'torchvision'):
        assert result[name]['forward'] > 0 and result[name]['backward'] > 0
    assert result['backward_ratio_mmcv'] == round(
        result['layer']['backward'] / result['mmcv']['backward'], 3)
