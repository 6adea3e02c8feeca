# Copyright (c) mmdetco contributors. All rights reserved.
"""PreemptionHook refuses signals that do not exist. A run that it stops on
SIGTERM, then resumed, is tested with the loop that resumes it
(tests/test_engine/test_loops/test_resumable_loop.py)."""
import pytest

from mmdetco.engine import PreemptionHook


def test_preemption_hook_refuses_unknown_signals():
    with pytest.raises(ValueError, match='SIGFOO'):
        PreemptionHook(signals=('SIGTERM', 'SIGFOO'))
