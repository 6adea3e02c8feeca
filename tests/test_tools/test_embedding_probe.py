# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/embedding_probe.py`` on a tiny DetCo."""
import pytest

from ..conftest import load_tool, tiny_inputs


def test_probe_figures_per_branch(tiny_detco):
    tool = load_tool('tools/analysis_tools/embedding_probe.py')
    inputs = tiny_inputs(batch_size=4)
    figures = tool.probe(tiny_detco, [inputs, inputs])
    assert list(figures) == [
        f'{kind} {level}' for kind in ('global', 'local')
        for level in ('res2', 'res3', 'res4', 'res5')
    ]
    for branch in figures.values():
        # the same sampling twice: every image matches itself
        assert branch['same'] == pytest.approx(1., abs=1e-5)
        assert -1 <= branch['different'] < 1
        assert 0 < branch['spread'] < 2  # about 1 when spread
