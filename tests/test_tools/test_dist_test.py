# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/dist_test.sh CONFIG CHECKPOINT 2`` on CPU (gloo): the two
processes test the whole set once, as one process does."""
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT
from .conftest import logged, logged_test_metrics


@pytest.mark.slow
def test_two_processes_give_the_single_process_top1(classifier, tmp_path):
    config, checkpoint, share, _ = classifier
    work_dir = str(tmp_path / 'work')
    launcher = ['bash', 'tools/dist_test.sh', config, checkpoint, '2']
    subprocess.run([*launcher, '--work-dir', work_dir],
                   cwd=ROOT,
                   env=dict(os.environ, PYTHON=sys.executable, PORT='29541'),
                   check=True,
                   timeout=280)
    # the main process's logs
    assert 'Distributed training: True' in logged(work_dir, 'log')
    top1 = logged_test_metrics(work_dir)['accuracy/top1']
    assert top1 == pytest.approx(share, abs=1e-4)
