# Copyright (c) mmdetco contributors. All rights reserved.
"""Pre-emption and resume rehearsed through the launchers, on CPU (gloo):
``tools/dist_train.sh CONFIG 2`` pre-empted by SIGTERM to its whole
process group (the launcher, both training processes and their data-loader
workers, as slurm and Kubernetes signal a job), then resumed with
``--resume``, with 2 processes or with 1 (the same global batch). The demo
config's data set is wrapped in ``SampleSeededDataset``, as the ImageNet
configs' is: each sample's augmentations are drawn from the seed, the epoch
and its index.

What a GPU run adds: NCCL instead of gloo, and the time the interrupted
iteration and the checkpoint take, which must fit in the launcher's grace
period (``torch.distributed.run`` kills its processes 30 s after passing the
signal on; slurm after its ``KillWait``)."""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmdetco.utils.training_log import find_logs, load_records
from mmdetco_demo import generate_demo_data
from ..conftest import ROOT
from .launch_helpers import (launch_env, losses, rank_dump_config, rank_states,
                             run, train_options)

BATCH, EPOCHS = 4, 3  # 2 iterations of 2 x 4 an epoch: 6 iterations
ITERS = 2 * EPOCHS


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """16 pre-training images: 2 iterations of 2 x 4 an epoch."""
    root = str(tmp_path_factory.mktemp('rehearsals') / 'data')
    generate_demo_data(root, num_pretrain=16, num_train=2, num_val=2, size=96)
    return root


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    """``rank_dump_config`` with the data set in ``SampleSeededDataset``
    (the sampler, ``EpochSeededSampler``, is the demo config's)."""
    folder = tmp_path_factory.mktemp('config')
    seeded = folder / 'seeded.py'
    seeded.write_text(f"_base_ = '{rank_dump_config(folder)}'\n"
                      'train_dataloader = dict(dataset=dict('
                      "type='SampleSeededDataset', "
                      "dataset_type='CustomDataset'))\n")
    return str(seeded)


def command(config, work_dir, data_root, processes, batch, workers, *args):
    """Train ``EPOCHS`` epochs with ``processes`` processes (through
    ``tools/dist_train.sh`` if 2) of ``batch`` images."""
    launcher = [sys.executable, 'tools/train.py', config] if processes == 1 \
        else ['bash', 'tools/dist_train.sh', config, str(processes)]
    return [
        *launcher, '--work-dir',
        str(work_dir), *args, '--cfg-options',
        *train_options(data_root, batch, EPOCHS, workers),
        'randomness.deterministic=True'
    ]


def logged_iterations(work_dir):
    """The iterations of the logged losses, in the order of the logs (a
    resumed run writes another)."""
    logs = find_logs(str(work_dir))
    return [r['iter'] for r in load_records(logs, ['loss'])]


def lrs(work_dir):
    """iteration -> logged learning rate."""
    return {
        r['iter']: r['lr']
        for r in load_records(find_logs(str(work_dir)), ['lr'])
    }


@pytest.fixture(scope='module')
def runs(tmp_path_factory, config, data_root):
    """``runs(workers)``: a run pre-empted by SIGTERM to its process group
    (2 processes of ``workers`` data-loader workers each): its work
    directory, output and the iteration of its checkpoint;
    ``runs(workers, straight=True)``: the work directory of the run not
    interrupted. Each made once."""
    made = {}

    def make(workers, straight=False):
        if (workers, straight) in made:
            return made[workers, straight]
        work_dir = tmp_path_factory.mktemp(
            f'{"straight" if straight else "preempted"}{workers}')
        if straight:
            run(
                command(config, work_dir, data_root, 2, BATCH, workers),
                launch_env())
            made[workers, straight] = work_dir
            return work_dir
        process = subprocess.Popen(
            command(config, work_dir, data_root, 2, BATCH, workers),
            cwd=ROOT,
            env=launch_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True)  # its own process group
        deadline = time.time() + 300
        while time.time() < deadline and 2 not in losses(work_dir):
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=300)[0]
        assert (work_dir / 'last_checkpoint').exists(), output[-5000:]
        with open(work_dir / 'last_checkpoint') as f:
            checkpoint = f.read().strip()
        stopped = int(os.path.basename(checkpoint)[len('iter_'):-len('.pth')])
        made[workers, straight] = work_dir, output, stopped
        return made[workers, straight]

    return make


def resumable_copy(preempted, work_dir):
    """A copy of the pre-empted run's work directory, with its last
    checkpoint pointing into the copy."""
    shutil.copytree(preempted, work_dir)
    with open(work_dir / 'last_checkpoint') as f:
        name = os.path.basename(f.read().strip())
    (work_dir / 'last_checkpoint').write_text(str(work_dir / name))
    return work_dir / name


def assert_resumed_as_straight(straight, work_dir):
    """The resumed run logged every iteration, with the straight run's
    losses, and ended in its state."""
    logged, resumed = losses(straight), losses(work_dir)
    assert logged_iterations(work_dir) == list(range(1, ITERS + 1))
    assert [resumed[i]
            for i in logged] == pytest.approx([logged[i] for i in logged],
                                              rel=1e-5)
    a = torch.load(straight / f'epoch_{EPOCHS}.pth')['state_dict']
    b = torch.load(work_dir / f'epoch_{EPOCHS}.pth')['state_dict']
    for name in a:
        torch.testing.assert_close(a[name], b[name], msg=name)


def assert_preempted(output, stopped, preempted):
    assert f'Pre-empted (SIGTERM) at iteration {stopped}' in output, output[
        -5000:]
    assert 'exited unexpectedly' not in output  # no data-loader worker died
    assert 2 <= stopped < ITERS
    assert not (preempted / f'epoch_{EPOCHS}.pth').exists()


@pytest.mark.stack
@pytest.mark.slow
def test_preempted_group_without_workers_resumes_exactly(
        runs, config, data_root, tmp_path):
    """Without data-loader workers, the resumed run logs the straight
    run's losses and ends in its state."""
    straight = runs(0, straight=True)
    preempted, output, stopped = runs(0)
    assert_preempted(output, stopped, preempted)
    work_dir = tmp_path / 'resumed'
    resumable_copy(preempted, work_dir)
    run(
        command(config, work_dir, data_root, 2, BATCH, 0, '--resume'),
        launch_env())
    assert_resumed_as_straight(straight, work_dir)


@pytest.mark.stack
@pytest.mark.slow
def test_preempted_group_with_workers_resumes_exactly(runs, config, data_root,
                                                      tmp_path):
    """With 2 data-loader workers a process: SIGTERM reaches the workers
    too (without ``PreemptionHook`` making them ignore it they die, and
    the training processes stop on ``DataLoader worker ... is killed by
    signal: Terminated`` without a checkpoint), and the run still writes
    its checkpoint and stops. The resumed run logs the straight run's
    losses, after the pre-emption too, and ends in its state: the resumed
    epoch's workers start afresh on the batches after the skipped ones
    (worker ``w`` of 2 loads batches ``w``, ``w + 2``, ... of what it is
    given), but each sample's augmentations depend on the seed, the epoch
    and its index only, not on the worker's generators (without
    ``SampleSeededDataset``, iteration 4's loss was 14.507 against
    14.449)."""
    straight = runs(2, straight=True)
    preempted, output, stopped = runs(2)
    assert_preempted(output, stopped, preempted)
    work_dir = tmp_path / 'resumed'
    resumable_copy(preempted, work_dir)
    log = run(
        command(config, work_dir, data_root, 2, BATCH, 2, '--resume'),
        launch_env())
    if stopped % 2:  # inside an epoch: its trained batch is not repeated
        assert 'skipping its first 1 batches' in log
    assert_resumed_as_straight(straight, work_dir)
    assert lrs(work_dir) == pytest.approx(lrs(straight), rel=1e-6)
    ranks = rank_states(work_dir, 2)
    assert ranks[0]['queue_ptr'] == rank_states(straight, 2)[0]['queue_ptr']
    for name in ranks[0]:
        torch.testing.assert_close(ranks[0][name], ranks[1][name], msg=name)


@pytest.mark.stack
@pytest.mark.slow
def test_two_to_one_process_with_the_same_global_batch(runs, config, data_root,
                                                       tmp_path):
    """2 x 4 -> 1 x 8: the remaining iterations; 2 x 4 -> 1 x 4 is refused
    before training, naming the fix, and leaves the checkpoint as it
    was."""
    preempted, _, _ = runs(2)
    work_dir = tmp_path / 'refused'
    checkpoint = resumable_copy(preempted, work_dir)
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    files = sorted(os.listdir(work_dir))
    result = subprocess.run(
        command(config, work_dir, data_root, 1, BATCH, 2, '--resume'),
        cwd=ROOT,
        env=launch_env(),
        capture_output=True,
        text=True,
        timeout=280)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert f'Cannot resume from {checkpoint}' in message, message[-5000:]
    assert (f'written by 2 processes x batch size {BATCH} (global batch '
            f'{2 * BATCH}) and this run is 1 process x batch size {BATCH}'
            ) in message
    assert f'set train_dataloader.batch_size={2 * BATCH}' in message
    assert 'the checkpoint is unchanged' in message
    assert hashlib.sha256(checkpoint.read_bytes()).hexdigest() == digest
    assert (work_dir / 'last_checkpoint').read_text() == str(checkpoint)
    assert not [
        f
        for f in os.listdir(work_dir) if f.endswith('.pth') and f not in files
    ]

    work_dir = tmp_path / 'one'
    resumable_copy(preempted, work_dir)
    log = run(
        command(config, work_dir, data_root, 1, 2 * BATCH, 2, '--resume'),
        launch_env())
    assert (f'Resuming with the same global batch: 1 x {2 * BATCH} = '
            f'2 x {BATCH}') in log
    assert logged_iterations(work_dir) == list(range(1, ITERS + 1))
    final = torch.load(work_dir / f'epoch_{EPOCHS}.pth')
    assert final['meta']['iter'] == ITERS


@pytest.mark.stack
@pytest.mark.slow
def test_one_to_two_processes_with_the_same_global_batch(
        config, data_root, tmp_path):
    """1 x 8 for an epoch, then 2 x 4 for the rest."""
    work_dir = tmp_path / 'work'
    first = command(config, work_dir, data_root, 1, 2 * BATCH, 2)
    epochs = first.index(f'train_cfg.max_epochs={EPOCHS}')
    first[epochs] = 'train_cfg.max_epochs=1'
    run(first, launch_env())
    log = run(
        command(config, work_dir, data_root, 2, BATCH, 2, '--resume'),
        launch_env())
    assert (f'Resuming with the same global batch: 2 x {BATCH} = '
            f'1 x {2 * BATCH}') in log
    assert logged_iterations(work_dir) == list(range(1, ITERS + 1))
    ranks = rank_states(work_dir, 2)
    for name in ranks[0]:
        torch.testing.assert_close(ranks[0][name], ranks[1][name], msg=name)
    assert torch.load(work_dir / f'epoch_{EPOCHS}.pth')['meta']['iter'] == \
        ITERS
