# Copyright (c) mmdetco contributors. All rights reserved.
"""The collapse rule's thresholds and the top-1 of a branch (the rule on a
record and the hook that applies it: tests/test_engine/test_hooks)."""
import pytest

from mmdetco.evaluation.functional import branch_top1, collapse_thresholds


def test_collapse_rule():
    spread, top1 = collapse_thresholds(128, 255, 0.05, 10.)
    assert spread == pytest.approx(0.05 / 128**0.5)
    assert top1 == pytest.approx(10 * 100 / 256)
    # the local branch's terms are ll and lg, the global one's gg
    record = dict(
        acc_gg_res5=90., acc_ll_res5=2., acc_lg_res5=4., acc_ll_res4=50.)
    assert branch_top1(record, 'local', 'res5') == 3.
    assert branch_top1(record, 'global', 'res5') == 90.
    assert branch_top1(record, 'global', 'res4') == 0.
