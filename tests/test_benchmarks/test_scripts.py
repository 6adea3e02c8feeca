# Copyright (c) mmdetco contributors. All rights reserved.
"""The benchmark launch scripts of tools/benchmarks/mmdetection and
tools/benchmarks/classification: what they give to mim, to
``python -m torch.distributed.run`` or to srun (fakes that record their
arguments), for MMSelfSup's calling conventions: ``CFG PRETRAIN [args]``
(Slurm: ``PARTITION CFG PRETRAIN [args]``) with GPUS, GPUS_PER_NODE,
CPUS_PER_TASK, SRUN_ARGS and PORT from the environment, and GPUS also as a
number right after PRETRAIN or CHECKPOINT."""
import glob
import os.path as osp
import runpy

import pytest
from mmengine.config import Config

from ..conftest import ROOT
from .helpers import (config_path, parse_cfg_options, pretrain_work_dir,
                      run_script, script_args)

C4_CFG = 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py'
PRETRAIN = 'ckpt/e_200.pth'
C4_OPTIONS = {
    f'model.{part}.init_cfg.{key}': value
    for part in ('backbone', 'roi_head.shared_head')
    for key, value in (('type', 'Pretrained'), ('checkpoint', PRETRAIN),
                       ('prefix', 'backbone.'))
}
#: the options of the FPN and the classification scripts
BACKBONE_OPTIONS = {
    k: v
    for k, v in C4_OPTIONS.items() if 'shared_head' not in k
}
CLS = 'classification'


def linear_config() -> str:
    """The ImageNet linear-probe config, relative to the repository."""
    (path, ) = glob.glob(
        osp.join(ROOT, 'configs', 'benchmarks', 'classification', 'imagenet',
                 'resnet50_linear-8xb32-*100e_in1k.py'))
    return osp.relpath(path, ROOT)


def gpus(argv, fake):
    """The number of GPUs (processes) a fake was asked for."""
    if fake == 'mim':
        return int(argv[argv.index('-G') + 1])
    prefix = '--nproc_per_node=' if fake == 'python' else '--ntasks='
    (value, ) = [a[len(prefix):] for a in argv if a.startswith(prefix)]
    return int(value)


def gpus_per_node(argv, fake):
    """The GPUs per node of a Slurm launch (also srun's ``--gres``)."""
    if fake == 'mim':
        return int(argv[argv.index('--gpus-per-node') + 1])
    (tasks, ) = [
        a.split('=')[1] for a in argv if a.startswith('--ntasks-per-node=')
    ]
    (gres, ) = [a.split(':')[1] for a in argv if a.startswith('--gres=gpu:')]
    assert tasks == gres
    return int(tasks)


def option(argv, name):
    return argv[argv.index(name) + 1]


# -- MMDetection ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
def test_train_scripts(fake):
    """mim_dist_train_{c4,fpn}.sh, with mim and without (then
    torch.distributed.run on tools/benchmarks/mmdetection/train.py): GPUS
    from the environment, PY_ARGS right after PRETRAIN."""
    argv = script_args(
        'mim_dist_train_c4.sh',
        C4_CFG,
        PRETRAIN,
        '--amp',
        '--cfg-options',
        'train_cfg.max_iters=10',
        fake=fake,
        env={'GPUS': '4'})
    assert gpus(argv, fake) == 4
    if fake == 'mim':
        assert argv[:3] == ['train', 'mmdet', C4_CFG]
    else:
        assert argv[:3] == [
            '-m', 'torch.distributed.run', '--nproc_per_node=4'
        ]
        assert argv[3] == '--master_port=29500'
        assert argv[4:6] == [
            osp.join(ROOT, 'tools/benchmarks/mmdetection/train.py'), C4_CFG
        ]
    assert option(argv, '--launcher') == 'pytorch'
    assert option(argv, '--work-dir') == pretrain_work_dir(C4_CFG, PRETRAIN)
    assert '--amp' in argv
    # the user's options are merged with the script's
    assert parse_cfg_options(argv) == {**C4_OPTIONS, 'train_cfg.max_iters': 10}

    # no GPUS: MMSelfSup's default, 8
    fpn_cfg = config_path('coco/retinanet_r50_fpn_ms-1x_coco.py')
    fpn = script_args('mim_dist_train_fpn.sh', fpn_cfg, PRETRAIN, fake=fake)
    assert gpus(fpn, fake) == 8
    assert parse_cfg_options(fpn) == BACKBONE_OPTIONS


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
@pytest.mark.parametrize('script',
                         ['mim_dist_train_c4.sh', 'mim_dist_train_fpn.sh'])
def test_train_scripts_take_gpus_after_pretrain(script, fake):
    """MMSelfSup's `CFG PRETRAIN GPUS [PY_ARGS]`: the number wins over the
    environment, and the rest is passed on as without it."""
    with_number = script_args(
        script, C4_CFG, PRETRAIN, '2', '--amp', fake=fake, env={'GPUS': '4'})
    from_env = script_args(
        script, C4_CFG, PRETRAIN, '--amp', fake=fake, env={'GPUS': '2'})
    assert gpus(with_number, fake) == 2
    assert with_number == from_env
    assert '2' not in with_number[with_number.index('--cfg-options'):]


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
def test_port(fake):
    argv = script_args(
        'mim_dist_train_fpn.sh',
        C4_CFG,
        PRETRAIN,
        fake=fake,
        env={'PORT': '29555'})
    if fake == 'mim':
        assert option(argv, '--port') == '29555'
    else:
        assert '--master_port=29555' in argv


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'srun'])
def test_slurm_scripts(fake):
    """mim_slurm_train_c4.sh: PARTITION CFG PRETRAIN [PY_ARGS]; GPUS (the
    total), GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS from the
    environment."""
    cfg = 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-2x_coco.py'
    argv = script_args(
        'mim_slurm_train_c4.sh',
        'part',
        cfg,
        PRETRAIN,
        '--amp',
        fake=fake,
        env={'GPUS': '16'})
    assert gpus(argv, fake) == 16
    assert gpus_per_node(argv, fake) == 8
    if fake == 'mim':
        assert argv[:3] == ['train', 'mmdet', cfg]
        assert option(argv, '--partition') == 'part'
        assert option(argv, '--cpus-per-task') == '5'
        assert option(argv, '--srun-args') == ''
    else:
        assert option(argv, '-p') == 'part'
        assert '--cpus-per-task=5' in argv
        assert argv[argv.index('-u') + 1:argv.index('-u') + 3] == [
            osp.join(ROOT, 'tools/benchmarks/mmdetection/train.py'), cfg
        ]
    assert option(argv, '--launcher') == 'slurm'
    assert option(argv, '--work-dir') == pretrain_work_dir(cfg, PRETRAIN)
    assert '--amp' in argv
    assert parse_cfg_options(argv) == C4_OPTIONS

    # MMSelfSup's defaults: 8 GPUs, 8 per node
    fpn = script_args(
        'mim_slurm_train_fpn.sh', 'part', cfg, PRETRAIN, fake=fake)
    assert (gpus(fpn, fake), gpus_per_node(fpn, fake)) == (8, 8)
    assert parse_cfg_options(fpn) == BACKBONE_OPTIONS
    # fewer than 8 GPUs: one node with that many
    few = script_args(
        'mim_slurm_train_fpn.sh',
        'part',
        cfg,
        PRETRAIN,
        fake=fake,
        env={'GPUS': '4'})
    assert (gpus(few, fake), gpus_per_node(few, fake)) == (4, 4)
    # everything from the environment
    env = {
        'GPUS': '16',
        'GPUS_PER_NODE': '4',
        'CPUS_PER_TASK': '2',
        'SRUN_ARGS': '--quotatype=auto'
    }
    custom = script_args(
        'mim_slurm_train_c4.sh', 'part', cfg, PRETRAIN, fake=fake, env=env)
    assert (gpus(custom, fake), gpus_per_node(custom, fake)) == (16, 4)
    if fake == 'mim':
        assert option(custom, '--cpus-per-task') == '2'
        assert option(custom, '--srun-args') == '--quotatype=auto'
    else:
        assert '--cpus-per-task=2' in custom
        assert '--quotatype=auto' in custom
    # a number after PRETRAIN is GPUS too
    assert script_args(
        'mim_slurm_train_c4.sh',
        'part',
        cfg,
        PRETRAIN,
        '16',
        '--amp',
        fake=fake) == argv


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'srun'])
def test_slurm_test_script(fake):
    argv = script_args(
        'mim_slurm_test.sh',
        'part',
        C4_CFG,
        'work_dirs/x/iter_9.pth',
        '--out',
        'r.pkl',
        fake=fake)
    assert (gpus(argv, fake), gpus_per_node(argv, fake)) == (8, 8)
    if fake == 'mim':
        assert argv[:3] == ['test', 'mmdet', C4_CFG]
        assert option(argv, '--checkpoint') == 'work_dirs/x/iter_9.pth'
    else:
        assert option(argv, '-p') == 'part'
        assert argv[argv.index('-u') + 1:argv.index('-u') + 4] == [
            osp.join(ROOT, 'tools/benchmarks/mmdetection/test.py'), C4_CFG,
            'work_dirs/x/iter_9.pth'
        ]
    assert option(argv, '--launcher') == 'slurm'
    assert option(argv, '--work-dir') == 'work_dirs/x'
    assert argv[-2:] == ['--out', 'r.pkl']
    assert gpus(
        script_args(
            'mim_slurm_test.sh',
            'part',
            C4_CFG,
            'work_dirs/x/iter_9.pth',
            fake=fake,
            env={'GPUS': '32'}), fake) == 32


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
def test_dist_test_script(fake):
    """CFG CHECKPOINT [GPUS] [PY_ARGS], as MMSelfSup's mim_dist_test.sh
    and MMDetection's dist_test.sh; without the number, GPUS from the
    environment (default 8)."""
    argv = script_args(
        'mim_dist_test.sh',
        C4_CFG,
        'work_dirs/x/iter_9.pth',
        '--out',
        'r.pkl',
        fake=fake,
        env={'GPUS': '2'})
    assert gpus(argv, fake) == 2
    if fake == 'mim':
        assert argv[:3] == ['test', 'mmdet', C4_CFG]
        assert option(argv, '--checkpoint') == 'work_dirs/x/iter_9.pth'
    else:
        assert argv[4:7] == [
            osp.join(ROOT, 'tools/benchmarks/mmdetection/test.py'), C4_CFG,
            'work_dirs/x/iter_9.pth'
        ]
    assert option(argv, '--launcher') == 'pytorch'
    assert option(argv, '--work-dir') == 'work_dirs/x'
    assert argv[-2:] == ['--out', 'r.pkl']

    assert script_args(
        'mim_dist_test.sh',
        C4_CFG,
        'work_dirs/x/iter_9.pth',
        '2',
        '--out',
        'r.pkl',
        fake=fake) == argv
    default = script_args(
        'mim_dist_test.sh', C4_CFG, 'work_dirs/x/iter_9.pth', fake=fake)
    assert gpus(default, fake) == 8


# -- usage ------------------------------------------------------------------

SCRIPTS = [
    ('mmdetection', 'mim_dist_train_c4.sh', 2),
    ('mmdetection', 'mim_dist_train_fpn.sh', 2),
    ('mmdetection', 'mim_dist_test.sh', 2),
    ('mmdetection', 'mim_slurm_train_c4.sh', 3),
    ('mmdetection', 'mim_slurm_train_fpn.sh', 3),
    ('mmdetection', 'mim_slurm_test.sh', 3),
    (CLS, 'mim_dist_train_linear.sh', 2),
    (CLS, 'mim_dist_test.sh', 2),
    (CLS, 'mim_slurm_train_linear.sh', 3),
    (CLS, 'mim_slurm_test.sh', 3),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    'folder,script,required',
    SCRIPTS,
    ids=[f'{folder}/{script}' for folder, script, _ in SCRIPTS])
def test_missing_arguments_stop_with_the_usage(folder, script, required):
    assert osp.isfile(osp.join(ROOT, 'tools', 'benchmarks', folder, script))
    args = ['part', 'cfg.py', 'ckpt.pth'][-required:][:-1]
    result, argv = run_script(script, *args, folder=folder)
    assert result.returncode == 2
    assert argv is None
    assert 'usage: [GPUS=8]' in result.stderr


# -- MMPretrain: the ImageNet linear probe ----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
def test_linear_train_script(fake):
    """mim_dist_train_linear.sh CFG PRETRAIN [PY_ARGS]: ``mim train
    mmpretrain`` or torch.distributed.run on tools/train.py, GPUS from the
    environment, the backbone's Pretrained init."""
    cfg = linear_config()
    argv = script_args(
        'mim_dist_train_linear.sh',
        cfg,
        PRETRAIN,
        '--amp',
        '--cfg-options',
        'train_cfg.max_epochs=1',
        fake=fake,
        env={'GPUS': '4'},
        folder=CLS)
    assert gpus(argv, fake) == 4
    if fake == 'mim':
        assert argv[:3] == ['train', 'mmpretrain', cfg]
    else:
        assert argv[:4] == [
            '-m', 'torch.distributed.run', '--nproc_per_node=4',
            '--master_port=29500'
        ]
        assert argv[4:6] == [osp.join(ROOT, 'tools/train.py'), cfg]
    assert option(argv, '--launcher') == 'pytorch'
    assert option(argv, '--work-dir') == pretrain_work_dir(cfg, PRETRAIN)
    assert '--amp' in argv
    options = parse_cfg_options(argv)
    assert options == {**BACKBONE_OPTIONS, 'train_cfg.max_epochs': 1}

    # what the config expects: the query backbone of PRETRAIN
    config = Config.fromfile(osp.join(ROOT, cfg))
    config.merge_from_dict(options)
    assert config.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=PRETRAIN, prefix='backbone.')

    default = script_args(
        'mim_dist_train_linear.sh', cfg, PRETRAIN, fake=fake, folder=CLS)
    assert gpus(default, fake) == 8
    assert script_args(
        'mim_dist_train_linear.sh',
        cfg,
        PRETRAIN,
        '4',
        '--amp',
        '--cfg-options',
        'train_cfg.max_epochs=1',
        fake=fake,
        folder=CLS) == argv


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'srun'])
def test_linear_slurm_train_script(fake):
    cfg = linear_config()
    argv = script_args(
        'mim_slurm_train_linear.sh',
        'part',
        cfg,
        PRETRAIN,
        '--amp',
        fake=fake,
        env={'GPUS': '16'},
        folder=CLS)
    assert (gpus(argv, fake), gpus_per_node(argv, fake)) == (16, 8)
    if fake == 'mim':
        assert argv[:3] == ['train', 'mmpretrain', cfg]
        assert option(argv, '--partition') == 'part'
    else:
        assert option(argv, '-p') == 'part'
        assert argv[argv.index('-u') + 1:argv.index('-u') +
                    3] == [osp.join(ROOT, 'tools/train.py'), cfg]
    assert option(argv, '--launcher') == 'slurm'
    # the same work dir as the local script
    assert option(argv, '--work-dir') == pretrain_work_dir(cfg, PRETRAIN)
    assert '--amp' in argv
    assert parse_cfg_options(argv) == BACKBONE_OPTIONS

    default = script_args(
        'mim_slurm_train_linear.sh',
        'part',
        cfg,
        PRETRAIN,
        fake=fake,
        folder=CLS)
    assert (gpus(default, fake), gpus_per_node(default, fake)) == (8, 8)


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'python'])
def test_linear_test_script(fake):
    cfg = linear_config()
    checkpoint = 'work_dirs/x/epoch_100.pth'
    argv = script_args(
        'mim_dist_test.sh',
        cfg,
        checkpoint,
        '--out',
        'r.pkl',
        fake=fake,
        env={'GPUS': '2'},
        folder=CLS)
    assert gpus(argv, fake) == 2
    if fake == 'mim':
        assert argv[:3] == ['test', 'mmpretrain', cfg]
        assert option(argv, '--checkpoint') == checkpoint
    else:
        assert argv[4:7] == [
            osp.join(ROOT, 'tools/benchmarks/classification/test.py'), cfg,
            checkpoint
        ]
    assert option(argv, '--launcher') == 'pytorch'
    assert option(argv, '--work-dir') == 'work_dirs/x'
    assert argv[-2:] == ['--out', 'r.pkl']
    default = script_args(
        'mim_dist_test.sh', cfg, checkpoint, fake=fake, folder=CLS)
    assert gpus(default, fake) == 8


@pytest.mark.slow
@pytest.mark.parametrize('fake', ['mim', 'srun'])
def test_linear_slurm_test_script(fake):
    cfg = linear_config()
    checkpoint = 'work_dirs/x/epoch_100.pth'
    argv = script_args(
        'mim_slurm_test.sh',
        'part',
        cfg,
        checkpoint,
        fake=fake,
        env={'GPUS': '4'},
        folder=CLS)
    assert (gpus(argv, fake), gpus_per_node(argv, fake)) == (4, 4)
    if fake == 'mim':
        assert argv[:3] == ['test', 'mmpretrain', cfg]
        assert option(argv, '--checkpoint') == checkpoint
    else:
        assert argv[argv.index('-u') + 1:argv.index('-u') + 4] == [
            osp.join(ROOT, 'tools/benchmarks/classification/test.py'), cfg,
            checkpoint
        ]
    assert option(argv, '--launcher') == 'slurm'
    assert option(argv, '--work-dir') == 'work_dirs/x'


def test_classification_test_wrapper_runs_mmpretrains_test():
    """tools/benchmarks/classification/test.py runs MMPretrain's own
    tools/test.py (what ``mim test mmpretrain`` runs)."""
    wrapper = runpy.run_path(
        osp.join(ROOT, 'tools', 'benchmarks', 'classification', 'test.py'),
        run_name='wrapper')
    script = wrapper['MMPRETRAIN_SCRIPT']
    assert osp.isfile(script)
    with open(script) as f:
        source = f.read()
    for arg in ("'checkpoint'", "'--work-dir'", "'--launcher'", "'--out'"):
        assert arg in source
