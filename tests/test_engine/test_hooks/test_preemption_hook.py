# Copyright (c) mmdetco contributors. All rights reserved.
"""PreemptionHook refuses signals that do not exist. A run that it stops on
SIGTERM, then resumed, is tested with the loop that resumes it
(tests/test_engine/test_loops/test_resumable_loop.py)."""
import subprocess
import sys

import pytest

from mmdetco.engine import PreemptionHook


def test_preemption_hook_refuses_unknown_signals():
    with pytest.raises(ValueError, match='SIGFOO'):
        PreemptionHook(signals=('SIGTERM', 'SIGFOO'))


#: a process whose persistent loader workers ignore SIGTERM as the hook
#: makes them, then exits as a finished run does (its workers still alive)
EXIT_WITH_WORKERS = '''
import atexit, signal, sys, time
import torch
from torch.utils.data import DataLoader
from mmdetco.engine.hooks.preemption_hook import _IgnoreSignals

init = _IgnoreSignals(('SIGTERM', ), None)
if sys.argv[1] == 'release':
    atexit.register(init.release)
loader = DataLoader(list(range(8)), batch_size=2, num_workers=2,
                    persistent_workers=True, worker_init_fn=init)
batches = iter(loader)
next(batches), next(batches)  # a batch from each worker: both initialised
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for worker in batches._workers:  # a pre-emption signal: ignored
    worker.terminate()
time.sleep(1)
assert all(worker.is_alive() for worker in batches._workers)
print('trained', flush=True)
'''


@pytest.mark.slow
@pytest.mark.parametrize('release', ['release', 'keep'])
def test_workers_that_ignore_the_signal_end_with_the_process(release):
    """The workers ignore a pre-emption SIGTERM while the run trains, and the
    process still exits once its workers are released at exit (without the
    release, Python's exit waits for them forever)."""
    command = [sys.executable, '-c', EXIT_WITH_WORKERS, release]
    if release == 'keep':
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run(command, timeout=20, capture_output=True)
        return
    done = subprocess.run(command, timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'trained' in done.stdout
