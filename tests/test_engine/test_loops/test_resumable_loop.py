# Copyright (c) mmdetco contributors. All rights reserved.
"""A resumed run is the run that would have happened: 2 + 2 epochs, and a
run pre-empted by SIGTERM then resumed, end in exactly the state of 4
straight epochs (CPU, deterministic, data-loader workers 0). It resumes with
another number of processes at the same global batch, and refuses another
global batch; a checkpoint mapped to a GPU resumes."""
import logging
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import mmengine.dataset.sampler as sampler_module
import mmengine.runner.runner as mmengine_runner
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.logging import MessageHub
from torch.utils.data import DataLoader

import mmdetco  # noqa: F401  (safe checkpoint loading)
from mmdetco.engine import ResumableEpochBasedTrainLoop, ResumeMismatchError
from mmdetco.utils.training_log import find_logs, load_records
from mmdetco_demo import data_root_options, generate_demo_data
from ...conftest import ROOT, free_port
from ...test_tools.test_dist_train import dist_train
from ..test_hooks import test_rng_state_hook
from .conftest import CONFIG, demo_runner

#: tensors that refuse the generators as CUDA tensors do
refuse_on_device = test_rng_state_hook.refuse_on_device
on_device = test_rng_state_hook.on_device

EPOCHS = 4  # of 2 iterations: 8 images, batch 4


def bn_stats_every_epoch():
    """BackboneBNStatsHook re-estimates after every epoch: a run of 2
    epochs re-estimates after its last, the straight run then too."""
    hooks = Config.fromfile(osp.join(ROOT, CONFIG)).custom_hooks
    index = next(i for i, h in enumerate(hooks)
                 if h['type'] == 'BackboneBNStatsHook')
    return f'custom_hooks.{index}.interval=1'


def command(work_dir, data_root, epochs, *args):
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *args, '--cfg-options',
        *data_root_options(CONFIG, data_root), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'model.queue_len=16',
        f'train_cfg.max_epochs={epochs}', 'randomness.deterministic=True',
        'default_hooks.logger.interval=1',
        bn_stats_every_epoch()
    ]


def train(work_dir, data_root, epochs, *args):
    result = subprocess.run(
        command(work_dir, data_root, epochs, *args),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=280)
    assert result.returncode == 0, result.stderr[-5000:]
    return result.stdout + result.stderr


def losses(work_dir):
    """iteration -> logged loss, over every json log of the run (none
    before the first is written)."""
    try:
        logs = find_logs(work_dir)
    except FileNotFoundError:
        return {}
    return {r['iter']: r['loss'] for r in load_records(logs, ['loss'])}


def assert_same_state(path_a, path_b):
    a, b = torch.load(path_a), torch.load(path_b)
    assert a['meta']['epoch'] == b['meta']['epoch'] == EPOCHS
    assert a['meta']['iter'] == b['meta']['iter'] == 2 * EPOCHS
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for name in a['state_dict']:  # both encoders, BN statistics, queues
        torch.testing.assert_close(
            a['state_dict'][name], b['state_dict'][name], msg=name)
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys() and state_a
    for key in state_a:
        torch.testing.assert_close(state_a[key]['momentum_buffer'],
                                   state_b[key]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']


@pytest.fixture(scope='module')
def straight(data_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('straight')
    train(work_dir, data_root, EPOCHS)
    return work_dir


@pytest.mark.slow
def test_resume_at_an_epoch_is_exact(straight, data_root, tmp_path):
    train(tmp_path, data_root, EPOCHS // 2)
    log = train(tmp_path, data_root, EPOCHS, '--resume')
    assert f'resumed epoch: {EPOCHS // 2}' in log
    assert_same_state(straight / f'epoch_{EPOCHS}.pth',
                      tmp_path / f'epoch_{EPOCHS}.pth')
    logged, resumed = losses(str(straight)), losses(str(tmp_path))
    after = [i for i in logged if i > EPOCHS]  # logged after the resume
    assert after and [resumed[i] for i in after] == pytest.approx(
        [logged[i] for i in after], rel=1e-5)


@pytest.mark.slow
def test_preempted_run_resumes_exactly(straight, data_root, tmp_path):
    process = subprocess.Popen(
        command(tmp_path, data_root, EPOCHS),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    # wait until iteration 2 of 8 is logged, then pre-empt
    deadline = time.time() + 300
    while time.time() < deadline and not any(2 in losses(d)
                                             for d in [str(tmp_path)]):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 0, output[-5000:]
    assert 'Pre-empted (SIGTERM) at iteration' in output
    with open(tmp_path / 'last_checkpoint') as f:
        checkpoint = f.read().strip()
    stopped = int(osp.basename(checkpoint)[len('iter_'):-len('.pth')])
    assert 2 <= stopped < 2 * EPOCHS
    assert not osp.exists(tmp_path / f'epoch_{EPOCHS}.pth')

    log = train(tmp_path, data_root, EPOCHS, '--resume')
    if stopped % 2:  # inside an epoch: its trained batch is not repeated
        assert 'skipping its first 1 batches' in log
    assert_same_state(straight / f'epoch_{EPOCHS}.pth',
                      tmp_path / f'epoch_{EPOCHS}.pth')


# --- resuming with another number of processes ---


def shards(dataset, world_size, epoch, monkeypatch):
    """The indices of every process's ``DefaultSampler`` in ``epoch``."""
    result = []
    for rank in range(world_size):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda:
                            (rank, world_size))
        sampler = DefaultSampler(dataset, shuffle=True, seed=0)
        sampler.set_epoch(epoch)
        result.append(list(sampler))
    return result


@pytest.mark.parametrize('epoch', [0, 3])
def test_the_first_batches_of_all_processes_start_the_permutation(
        epoch, monkeypatch):
    """``DefaultSampler`` shards the epoch's permutation as
    ``indices[rank::world_size]``: after ``done`` iterations the processes of
    any layout of the global batch 8 have trained the first ``done * 8``
    samples of the same permutation, and the rest of the epoch holds the
    others. 37 samples: each layout pads the permutation with its first
    samples to a multiple of its processes, in its last batches."""
    dataset = list(range(37))
    (permutation, ) = shards(dataset, 1, epoch, monkeypatch)
    for world_size, batch_size in ((1, 8), (2, 4), (4, 2), (8, 1)):
        ranks = shards(dataset, world_size, epoch, monkeypatch)
        length = len(DataLoader(ranks[0], batch_size=batch_size))
        assert length == 5  # ceil(37 / 8) for every layout
        padded = (permutation * 2)[:world_size * len(ranks[0])]
        for done in range(length):
            trained = [i for r in ranks for i in r[:done * batch_size]]
            rest = [i for r in ranks for i in r[done * batch_size:]]
            assert sorted(trained) == sorted(permutation[:done * 8])
            assert sorted(rest) == sorted(padded[done * 8:])


class LoopRunner(SimpleNamespace):
    """What the loop uses of a Runner. Its model records the samples of
    each training step; its hooks only set the sampler's epoch."""

    def call_hook(self, name, **kwargs):
        self.hooks.append(name)
        if name == 'before_train_epoch':
            self.train_loop.dataloader.sampler.set_epoch(self.train_loop.epoch)


class Recorder(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.register_buffer('steps', torch.zeros(()))
        self.trained = []

    def train_step(self, data, optim_wrapper):
        self.trained.append(list(data))
        return {}


def resumed_loop(monkeypatch,
                 batch_size,
                 epoch,
                 iteration,
                 saved=None,
                 **options):
    """A loop of one process over 32 samples, resumed at ``iteration``
    (epoch ``epoch``) of a checkpoint that recorded ``saved`` (world size,
    batch size), or nothing (a checkpoint of an earlier version);
    ``options`` are the loop's other arguments."""
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (0, 1))
    dataset = list(range(32))
    runner = LoopRunner(
        model=Recorder(),
        optim_wrapper=None,
        message_hub=MessageHub(uuid.uuid4().hex),
        logger=logging.getLogger('test_resumable_loop'),
        visualizer=SimpleNamespace(),
        val_loop=None,
        work_dir='work',
        _load_from='work/iter_7.pth',
        hooks=[])
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=DefaultSampler(dataset, shuffle=True, seed=0),
        collate_fn=lambda batch: batch)
    loop = ResumableEpochBasedTrainLoop(
        runner, loader, max_epochs=3, **options)
    runner.train_loop = loop
    loop._epoch, loop._iter = epoch, iteration
    if saved is not None:
        runner.message_hub.update_info(
            'train_batch', dict(world_size=saved[0], batch_size=saved[1]))
    return loop, runner


@pytest.mark.parametrize('option, guarded', [(True, True),
                                             (dict(max_skipped_steps=2), True),
                                             (False, False)])
def test_divergence_guard_option(option, guarded, monkeypatch):
    """``divergence_guard``: every step runs with the guard's forward hook
    on the model (True, or a dict of its arguments), or without (False);
    the hook is removed after training."""
    loop, runner = resumed_loop(monkeypatch, 8, 0, 0, divergence_guard=option)
    hooks_at_steps = []
    record = runner.model.train_step

    def train_step(data, optim_wrapper):
        hooks_at_steps.append(len(runner.model._forward_hooks))
        return record(data, optim_wrapper)

    runner.model.train_step = train_step
    loop.run()
    assert hooks_at_steps == [int(guarded)] * 12
    if isinstance(option, dict):
        assert loop.divergence_guard == option
    assert not runner.model._forward_hooks


def test_a_resume_with_the_global_batch_trains_every_remaining_sample(
        monkeypatch, caplog):
    """2 processes x batch 4 stopped after 3 of the 4 iterations of epoch
    2; resumed by 1 process x batch 8, the epoch's last batch holds exactly
    the samples not trained, and the schedule goes on to its end."""
    trained = [
        i for rank in shards(list(range(32)), 2, 1, monkeypatch)
        for i in rank[:3 * 4]
    ]
    loop, runner = resumed_loop(monkeypatch, 8, 1, 4 + 3, saved=(2, 4))
    with caplog.at_level(logging.INFO, 'test_resumable_loop'):
        loop.run()
    assert 'same global batch: 1 x 8 = 2 x 4' in caplog.text
    assert 'skipping its first 3 batches' in caplog.text
    rest, *third = runner.model.trained
    assert sorted(trained + rest) == list(range(32))
    assert len(third) == 4 and sorted(sum(third, [])) == list(range(32))
    assert loop.iter == loop.max_iters == 12
    assert runner.message_hub.get_info('train_batch') == dict(
        world_size=1, batch_size=8)


@pytest.mark.parametrize('batch_size,fix', [
    (4, 'Resume with 2 processes, or set train_dataloader.batch_size=8 so '
     'that 1 x 8 = 2 x 4, or start a new schedule from these weights with '
     'load_from=work/iter_7.pth (without --resume).'),
    (16, 'Resume with 2 processes, or set train_dataloader.batch_size=8 so '
     'that 1 x 8 = 2 x 4'),
])
def test_another_global_batch_is_refused_before_training(
        monkeypatch, batch_size, fix):
    loop, runner = resumed_loop(monkeypatch, batch_size, 1, 7, saved=(2, 4))
    with pytest.raises(ResumeMismatchError) as error:
        loop.run()
    message = str(error.value)
    assert message.startswith(
        'Cannot resume from work/iter_7.pth: it was written by 2 processes '
        f'x batch size 4 (global batch 8) and this run is 1 process x batch '
        f'size {batch_size} (global batch {batch_size}),')
    assert fix in message
    assert runner.hooks == [] and runner.model.trained == []


@pytest.mark.parametrize('epoch,iteration,done', [(1, 4, -4), (0, 9, 9)])
def test_a_checkpoint_without_the_record_must_fit_the_epoch(
        monkeypatch, epoch, iteration, done):
    """A checkpoint of an earlier version: at epoch 2 of 4 iterations (2
    processes x 4) it is refused by 1 process x 4 (8 iterations an epoch),
    as is one past this run's epoch; inside the epoch it resumes there."""
    loop, runner = resumed_loop(monkeypatch, 4, epoch, iteration)
    with pytest.raises(
            ResumeMismatchError,
            match=f'this run has 8 iterations an epoch, so it would skip '
            f'{done} batches of it'):
        loop.run()
    assert runner.hooks == []
    loop, runner = resumed_loop(monkeypatch, 4, 1, 8 + 5)
    loop.run()
    assert len(runner.model.trained) == 3 + 8 and loop.iter == 24


# --- a checkpoint mapped to a device, as Runner.resume does on a GPU ---


def load_on_device(load):
    """``torch.load`` that maps to ``'cuda'`` on a machine without a GPU:
    it loads on the CPU and makes every tensor :class:`OnDevice`."""

    def patched(f, map_location=None, **kwargs):
        if map_location != 'cuda':
            return load(f, map_location=map_location, **kwargs)
        return on_device(load(f, map_location='cpu', **kwargs))

    return patched


@pytest.mark.stack
@pytest.mark.slow
@pytest.mark.usefixtures('refuse_on_device')
def test_a_checkpoint_mapped_to_a_device_resumes(data_root, tmp_path,
                                                 monkeypatch):
    """``Runner.resume`` maps the checkpoint to ``get_device()``, 'cuda' on
    a GPU node. Emulated on the CPU: mmengine's ``get_device`` says 'cuda',
    and the load gives :class:`OnDevice` tensors, which the generators and
    ``.numpy()`` refuse as they refuse CUDA tensors. The run resumes, and
    ends as the run resumed from the same checkpoint on the CPU."""
    first = tmp_path / 'first'
    demo_runner(first, data_root, 1).train()
    ends = []
    for mapped in (False, True):
        runner = demo_runner(
            tmp_path / f'mapped_{mapped}',
            data_root,
            2,
            resume=True,
            load_from=str(first / 'epoch_1.pth'))
        with monkeypatch.context() as patch:
            if mapped:  # Runner.resume's get_device(), not the model's
                patch.setattr(mmengine_runner, 'get_device', lambda: 'cuda')
                patch.setattr(torch, 'load', load_on_device(torch.load))
            runner.train()
        assert runner.iter == 4
        ends.append(runner.model.state_dict())
    for name in ends[0]:
        torch.testing.assert_close(
            ends[1][name].as_subclass(torch.Tensor), ends[0][name], msg=name)


# --- 2 processes, then 1: the launchers ---


@pytest.mark.stack
@pytest.mark.slow
def test_two_processes_resumed_by_one(tmp_path):
    """``tools/dist_train.sh`` with 2 gloo processes x batch 4, a checkpoint
    every iteration; resumed from the first by ``tools/train.py`` in one
    process: with batch 8 it skips the trained batch and follows the
    schedule of the 2 processes to the end, with batch 4 it stops before
    training, saying how to go on."""
    data_root = str(tmp_path / 'data')
    generate_demo_data(
        data_root, num_pretrain=16, num_train=2, num_val=2, size=96)
    every_iteration = [
        'default_hooks.checkpoint.by_epoch=False',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=-1'
    ]
    result = dist_train(
        tmp_path,
        data_root,
        'env_cfg.dist_cfg.backend=gloo',
        *every_iteration,
        port=free_port())
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = tmp_path / 'work' / 'iter_1.pth'
    written = checkpoint.read_bytes()

    def resume(work_dir, batch_size):
        return subprocess.run([
            sys.executable, 'tools/train.py',
            str(tmp_path / 'config.py'), '--work-dir',
            str(work_dir), '--resume',
            str(checkpoint), '--cfg-options',
            *data_root_options(CONFIG, data_root),
            f'train_dataloader.batch_size={batch_size}',
            'train_dataloader.num_workers=0', 'model.queue_len=64',
            'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
            *every_iteration
        ],
                              cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=ROOT),
                              capture_output=True,
                              text=True,
                              timeout=280)

    result = resume(tmp_path / 'refused', 4)
    assert result.returncode != 0
    assert ('ResumeMismatchError: Cannot resume from '
            f'{checkpoint}: it was written by 2 processes x batch size 4 '
            '(global batch 8) and this run is 1 process x batch size 4 '
            '(global batch 4)') in result.stderr
    assert ('Resume with 2 processes, or set train_dataloader.batch_size=8 '
            'so that 1 x 8 = 2 x 4, or start a new schedule from these '
            f'weights with load_from={checkpoint} (without --resume).'
            ) in result.stderr
    assert not list((tmp_path / 'refused').glob('*.pth'))
    assert checkpoint.read_bytes() == written

    result = resume(tmp_path / 'resumed', 8)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'same global batch: 1 x 8 = 2 x 4' in log
    assert 'skipping its first 1 batches' in log
    # 3 iterations of 8 keys after the resumed one
    state = torch.load(tmp_path / 'resumed' / 'rank0.pth')
    assert state['queue_ptr'].item() == 4 * 8
    lrs = [{
        r['iter']: r['lr']
        for r in load_records(find_logs(str(tmp_path / d)), ['lr'])
    } for d in ('work', 'resumed')]
    assert sorted(lrs[1]) == [2, 3, 4]
    assert [lrs[1][i] for i in (2, 3, 4)] == [lrs[0][i] for i in (2, 3, 4)]
    assert torch.load(tmp_path / 'resumed' / 'iter_4.pth')['meta']['iter'] \
        == 4
