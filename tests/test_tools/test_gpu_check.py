# Copyright (c) mmdetco contributors. All rights reserved.
"""``tools/analysis_tools/gpu_check.py``: the reduced check on a CPU (its
resume leg with 2 gloo processes), the loader verdict on given numbers,
and the CUDA decisions with a GPU faked."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..conftest import ROOT

REPO = Path(ROOT)
TOOL = REPO / 'tools' / 'analysis_tools' / 'gpu_check.py'


@pytest.fixture
def tool(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOL.parent))
    spec = importlib.util.spec_from_file_location('gpu_check', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_reduced_check_runs_every_path_on_cpu():
    """Without a GPU: ops, DetCo (fp32, bf16, channels_last) and Mask R-CNN
    FPN train on the CPU, reported in one JSON line."""
    run = subprocess.run([
        sys.executable,
        str(TOOL), '--device', 'cpu', '--legs', 'ops', 'detco', 'mask_rcnn'
    ],
                         capture_output=True,
                         text=True,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result['pass'] and result['failures'] == []
    assert result['reduced'] and result['device'] == 'cpu'
    assert result['ops']['device'] == 'cpu'
    for name in ('detco_fp32', 'detco_bf16', 'detco_bf16_channels_last',
                 'mask_rcnn_fpn'):
        assert result[name]['img_s'] > 0, name
    assert 'gpu_check PASS' in run.stderr


def test_a_visible_gpu_is_the_default_device(tool, monkeypatch):
    seen = []
    monkeypatch.setattr(
        tool, 'run_checks', lambda device, legs, opts: seen.append(
            (device, legs)) or {
                'pass': True,
                'failures': []
            })
    assert tool.main(['--ops-only']) == 0
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert tool.main([]) == 0
    assert tool.main(['--legs', 'resume', 'loader']) == 0
    assert seen == [('cpu', ['ops']), ('cuda', list(tool.LEGS)),
                    ('cuda', ['resume', 'loader'])]


def test_mmcv_without_cuda_ops_fails_on_a_gpu_with_the_fix(
        tool, monkeypatch, capsys):
    """The check setup_env.sh runs: CPU-only mmcv ops on a GPU machine
    stop the set-up, saying how to rebuild."""
    import mmcv.ops
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version',
                        lambda: 'not available')
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda: 'H200')
    assert tool.main(['--device', 'cuda', '--ops-only']) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result['pass'] and result['device'] == 'H200'
    assert 'FORCE_CUDA=1 bash tools/setup_env.sh' in result['failures'][0]
    assert 'mim install mmcv==' in result['failures'][0]


def test_one_failure_fails_the_check_and_the_others_still_run(
        tool, monkeypatch):
    monkeypatch.setattr(tool, 'check_detco', lambda *a: {'img_s': 1.0})

    def diverge(*args):
        raise FloatingPointError('Mask R-CNN loss nan')

    monkeypatch.setattr(tool, 'check_mask_rcnn', diverge)
    result = tool.run_checks('cpu', ['ops', 'detco', 'mask_rcnn'])
    assert not result['pass']
    assert result['failures'] == [
        'mask_rcnn_fpn: FloatingPointError: Mask R-CNN loss nan (rerun: '
        'python tools/analysis_tools/gpu_check.py --device cpu --legs '
        'mask_rcnn)'
    ]
    assert result['detco_bf16'] == {'img_s': 1.0} and 'ops' in result
    assert 'work_dir' not in result


def test_a_failing_leg_names_the_command_that_reruns_it(
        tool, monkeypatch, tmp_path):
    """The resume leg's failure names its processes; the loader leg's the
    img/s it compared with (here the detco legs' fastest); the work
    directory with the logs is kept."""
    import gpu_check_legs

    def fail(*args):
        raise RuntimeError('`bash tools/dist_train.sh ...` exited with 1')

    monkeypatch.setattr(
        tool, 'check_detco',
        lambda device, amp, *a: {'img_s': 20.0 if amp else 10.0})
    monkeypatch.setattr(gpu_check_legs, 'check_resume', fail)
    monkeypatch.setattr(gpu_check_legs, 'make_data', lambda *a: 'data')
    monkeypatch.setattr(gpu_check_legs, 'check_loader', fail)
    monkeypatch.setattr(tool.tempfile, 'mkdtemp', lambda prefix: tmp_path)
    result = tool.run_checks('cpu', ['detco', 'resume', 'loader'])
    rerun = 'python tools/analysis_tools/gpu_check.py --device cpu --legs'
    assert result['failures'] == [
        'resume: RuntimeError: `bash tools/dist_train.sh ...` exited with 1 '
        f'(rerun: {rerun} resume --gpus 2)',
        'loader: RuntimeError: `bash tools/dist_train.sh ...` exited with 1 '
        f'(rerun: {rerun} loader --model-img-s 20.0)'
    ]
    assert result['work_dir'] == tmp_path and tmp_path.is_dir()


@pytest.mark.parametrize(
    'samples_s,workers,cpus,gpus,verdict',
    [
        # 8 workers x 40 samples/s, 8 GPUs on 64 CPUs: 320 >= 300
        (320, 8, 64, 8, 'model-bound: 320 samples/s per GPU'),
        # the same loader on 32 CPUs: 4 usable workers a GPU, 160 < 300
        (320, 8, 32, 8, 'loader-bound: 8 workers per GPU would be needed, '
         'more than the node\'s CPUs: use the _gpuaug config'),
        # 4 workers x 40: 160 < 300, 8 workers fit 128 CPUs
        (160, 4, 128, 8, 'loader-bound: raise train_dataloader.num_workers to '
         '8; 160 samples/s per GPU'),
    ])
def test_the_loader_verdict(tool, samples_s, workers, cpus, gpus, verdict):
    from gpu_check_legs import loader_verdict
    assert loader_verdict(samples_s, workers, cpus, gpus,
                          300).startswith(verdict)
    assert loader_verdict(samples_s, workers, cpus, gpus,
                          None).startswith('unknown: no model img/s')


def test_the_resumed_losses_must_repeat_the_straight_ones(tool):
    from gpu_check_legs import compare_losses
    straight = {i: {'loss': 10.0 - i, 'loss_gg_res5': 1.0} for i in (3, 4)}
    assert compare_losses(straight, straight, [3, 4], 0.0) == 0.0
    resumed = {3: straight[3], 4: {'loss': 6.0006, 'loss_gg_res5': 1.0}}
    assert compare_losses(straight, resumed, [3, 4], 1e-3) == \
        pytest.approx(1e-4)
    with pytest.raises(
            RuntimeError,
            match='differs at iteration 4: loss '
            '6.0006, not 6.0 as in the straight run'):
        compare_losses(straight, resumed, [3, 4], 0.0)
    with pytest.raises(
            RuntimeError,
            match='iteration 4 is not in the json '
            'log of the resumed run'):
        compare_losses(straight, {3: straight[3]}, [3, 4], 0.0)


@pytest.mark.slow
def test_resume_and_loader_legs_on_two_cpu_processes(tmp_path):
    """The R50 config shrunk by --cfg-options only (gloo, ResNet-18, small
    views, batch 2): 2 epochs of 2 iterations, and a run resumed from the
    first epoch's checkpoint logs the same losses at iterations 3 and 4;
    its loader with 2 workers, against a given model speed."""
    run = subprocess.run([
        sys.executable,
        str(TOOL), '--device', 'cpu', '--legs', 'resume', 'loader',
        '--model-img-s', '1000', '--work-dir',
        str(tmp_path)
    ],
                         capture_output=True,
                         text=True,
                         cwd=REPO,
                         timeout=280)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result['pass'], result['failures']
    resume = result['resume']
    assert resume['processes'] == 2 and resume['resumed_at'] == 2
    assert resume['iterations_compared'] == [3, 4]
    assert resume['max_rel_diff'] == 0.0
    assert (tmp_path / 'resumed' / 'epoch_2.pth').exists()
    log = next((tmp_path / 'resumed').glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    loader = result['loader']
    assert loader['num_workers'] == 2 and loader['samples_s'] > 0
    assert loader['model_img_s'] == 1000
    assert loader['verdict'].startswith('loader-bound')
    assert 'gpu_check loader: loader-bound' in run.stderr
