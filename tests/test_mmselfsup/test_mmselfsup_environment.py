# Copyright (c) mmdetco contributors. All rights reserved.
"""mmdetco in an MMSelfSup 1.x environment: the modules register into
MMSelfSup's registries, its configs build from MMSelfSup's bases, the losses
equal those of the MMPretrain environment, and checkpoints go both ways."""
import glob
import importlib.util
import json
import os.path as osp
import re

import mmselfsup
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmselfsup.models.algorithms import BaseModel
from mmselfsup.models.utils import SelfSupDataPreprocessor
from mmselfsup.registry import DATASETS, HOOKS, LOOPS, MODELS, TRANSFORMS

from mmdetco import compat
from .conftest import CONFIGS, ROOT, run
from .detco_losses import __file__ as DETCO_LOSSES
from .detco_losses import detco_losses

R50 = osp.join(CONFIGS, 'mmselfsup',
               'detco_resnet50_8xb32-coslr-200e_in1k_mmselfsup.py')
DEMO = osp.join(CONFIGS, 'mmselfsup',
                'detco_resnet18_1xb16-coslr-8e_demo_mmselfsup.py')
MAIN_R50 = osp.join(CONFIGS, 'detco',
                    'detco_resnet50_8xb32-coslr-200e_in1k.py')
MAIN_DEMO = osp.join(CONFIGS, 'detco',
                     'detco_resnet18_1xb16-coslr-8e_demo.py')
TRAIN = osp.join(osp.dirname(mmselfsup.__file__), '.mim', 'tools', 'train.py')
R50_CHANNELS = [256, 512, 1024, 2048]
LOSS_TERMS = [
    f'loss_{term}_{level}' for term in ('gg', 'll', 'lg')
    for level in ('res2', 'res3', 'res4', 'res5')
]
# the demo config with a ResNet-50
DEMO_R50 = {'model.backbone.depth': 50, 'model.neck.in_channels': R50_CHANNELS}
# a few iterations of the demo (16 images, batch 8: 2 per epoch)
SHORT_RUN = [
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
]


def test_modules_register_into_mmselfsup():
    assert compat.BACKEND == 'mmselfsup'
    # the two codebases cannot share an environment
    assert importlib.util.find_spec('mmpretrain') is None
    expected = {
        MODELS: ('DetCo', 'DetCoNeck', 'DetCoHead', 'DetCoDataPreprocessor'),
        TRANSFORMS:
        ('DetCoMultiView', 'JigsawPatches', 'FastRandomResizedCrop',
         'FastRandomGrayscale', 'LoadImageOrSkip', 'CropToBox'),
        HOOKS: ('DetCoHealthHook', 'DetCoQueueCheckHook', 'KNNMonitorHook',
                'RNGStateHook', 'PreemptionHook'),
        LOOPS: ('ResumableEpochBasedTrainLoop', ),
        DATASETS: ('CocoInstanceCrops', ),
    }
    for registry, names in expected.items():
        for name in names:
            # in MMSelfSup's registry itself, not in a parent's
            assert registry.module_dict[name].__module__.startswith(
                'mmdetco.'), name
    assert issubclass(MODELS.get('DetCo'), BaseModel)
    # loops resolve in MMSelfSup's scope (its registry names a missing
    # module, open-mmlab/mmselfsup#745, which mmdetco.compat drops)
    assert LOOPS.get('EpochBasedTrainLoop').__module__.startswith('mmengine')
    assert issubclass(
        MODELS.get('DetCoDataPreprocessor'), SelfSupDataPreprocessor)


@pytest.mark.parametrize('config, channels, sizes, lr', [
    (R50, R50_CHANNELS, (224, 64), 0.03),
    (DEMO, [c // 4 for c in R50_CHANNELS], (64, 16), 0.0075),
])
def test_config_builds_on_mmselfsup_bases(config, channels, sizes, lr):
    cfg = Config.fromfile(config)
    assert cfg.default_scope == 'mmselfsup'
    assert cfg.custom_imports.imports == ['mmdetco']
    # MMSelfSup's MoCo v2 recipe: its schedule (the demo's rate, as in the
    # main environment's demo) and its view augmentation
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert [t.type for t in cfg.view_pipeline] == [
        'RandomResizedCrop', 'RandomApply', 'RandomGrayscale',
        'RandomGaussianBlur', 'RandomFlip'
    ]
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'DetCo'
    feats = model.backbone(torch.zeros(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == channels
    assert [64 // f.shape[-1] for f in feats] == [4, 8, 16, 32]

    pipeline = [
        TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline[1:]
    ]
    rng = np.random.default_rng(0)
    results = dict(
        img=rng.integers(0, 255, (300, 400, 3), dtype=np.uint8),
        img_path='image.jpg')
    for transform in pipeline:
        results = transform(results)
    views = results['inputs']
    assert len(views) == 2 + 2 * 9
    assert [v.shape for v in views] == \
        [(3, sizes[0], sizes[0])] * 2 + [(3, sizes[1], sizes[1])] * 18


def test_patch_size_check_reads_mmselfsup_crops():
    cfg = Config.fromfile(DEMO)
    views = dict(cfg.train_dataloader.dataset.pipeline[1])
    views['patch_pipeline'][0]['size'] = 40  # cells of 13 px < 16 px patches
    with pytest.raises(
            ValueError, match=r'crops to 40 px.*`size` in MMSelfSup'):
        TRANSFORMS.build(views)


def _random_batch(path: str, seed: int = 0) -> str:
    """The raw uint8 views of 4 images: globals of 64 px, patches of 32."""
    generator = torch.Generator().manual_seed(seed)
    sizes = [64] * 2 + [32] * 18
    inputs = [
        torch.randint(
            0, 256, (4, 3, s, s), generator=generator, dtype=torch.uint8)
        for s in sizes
    ]
    torch.save(dict(inputs=inputs), path)
    return path


def _assert_same_losses(here: dict, main: dict) -> None:
    for result in (here, main):
        assert result['missing_keys'] == [] and \
            result['unexpected_keys'] == []
    assert set(LOSS_TERMS) <= set(here['losses'])
    for name in LOSS_TERMS + ['loss']:
        assert here['losses'][name] == pytest.approx(
            main['losses'][name], abs=1e-5), name


def _cfg_options(options: dict) -> list:
    """``options`` as the ``KEY=VALUE`` arguments of ``--cfg-options``."""
    return [
        f'{key}={value}'.replace(' ', '') for key, value in options.items()
    ]


def _losses_in_main(main_python,
                    config,
                    checkpoint,
                    batch,
                    tmp_path,
                    options=None):
    out = str(tmp_path / 'main_losses.json')
    run(main_python, [
        DETCO_LOSSES, config, checkpoint, batch, out,
        *_cfg_options(options or {})
    ])
    with open(out) as f:
        return json.load(f)


def test_losses_equal_the_main_environment(tmp_path, main_python):
    """The same weights and raw views give the same 12 terms through the
    MMSelfSup config here and the MMPretrain config there."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(R50).model)
    checkpoint = str(tmp_path / 'init.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    batch = _random_batch(str(tmp_path / 'batch.pth'))
    here = detco_losses(R50, checkpoint, batch)
    main = _losses_in_main(main_python, MAIN_R50, checkpoint, batch, tmp_path)
    _assert_same_losses(here, main)
    # real InfoNCE values against 65536 negatives, not zeros
    assert min(here['losses'][name] for name in LOSS_TERMS) > 1


def test_checkpoint_from_mmselfsup_loads_in_main_environment(
        tmp_path, demo_dir, this_python, main_python):
    """MMSelfSup's tools/train.py trains a ResNet-50 DetCo for two
    iterations; the MMPretrain environment's DetCo, benchmark configs
    (MMDetection and the linear probe, through their scripts' options) and
    converters load the checkpoint with no missing key."""
    work_dir = str(tmp_path / 'work')
    output = run(
        this_python, [
            TRAIN, DEMO, '--work-dir', work_dir, '--cfg-options',
            *_cfg_options(DEMO_R50), *SHORT_RUN
        ],
        cwd=demo_dir)
    assert 'Epoch(train) [1][2/2]' in output
    assert 'knn/top1' in output
    checkpoint = osp.join(work_dir, 'epoch_1.pth')

    batch = _random_batch(str(tmp_path / 'batch.pth'))
    _assert_same_losses(
        detco_losses(DEMO, checkpoint, batch, DEMO_R50),
        _losses_in_main(main_python, MAIN_DEMO, checkpoint, batch, tmp_path,
                        DEMO_R50))

    benchmark_tests = [
        '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
        'tests/test_benchmarks/test_mmdet_configs.py::'
        'test_pretrained_weights_load',
        'tests/test_benchmarks/test_linear_config.py', '-k', 'not released'
    ]
    collected = re.search(r'(\d+)/\d+ tests collected',
                          run(main_python, [*benchmark_tests, '--co']))
    output = run(
        main_python, benchmark_tests, MMDETCO_DETCO_R50_CHECKPOINT=checkpoint)
    # every collected test ran on this checkpoint: none skipped
    assert collected and f'{collected.group(1)} passed' in output, output
    assert 'skipped' not in output

    # the exported backbone holds the trained query weights (importing
    # mmdetco allows the message-hub types of the checkpoint)
    query = {
        key[len('backbone.'):]: value
        for key, value in torch.load(
            checkpoint, map_location='cpu', weights_only=True)
        ['state_dict'].items() if key.startswith('backbone.')
    }
    exported = {}
    for converter in ('extract_backbone_weights', 'convert_to_torchvision'):
        out = str(tmp_path / f'{converter}.pth')
        run(main_python, [
            osp.join(ROOT, 'tools', 'model_converters', f'{converter}.py'),
            checkpoint, out
        ])
        exported[converter] = torch.load(out, weights_only=True)
    extracted = exported['extract_backbone_weights']['state_dict']
    assert extracted.keys() == query.keys()
    for key, value in query.items():
        assert torch.equal(extracted[key], value), key
    # torchvision names: the same as MMPretrain's ResNet for these
    for key in ('conv1.weight', 'bn1.running_mean', 'layer4.2.conv3.weight'):
        assert torch.equal(exported['convert_to_torchvision'][key],
                           query[key]), key


def test_checkpoint_from_main_environment_resumes_here(tmp_path, demo_dir,
                                                       this_python,
                                                       main_python):
    """The MMPretrain environment's tools/train.py trains the demo for an
    epoch; here its checkpoint loads with no missing key, gives the same
    losses, and MMSelfSup's tools/train.py resumes from it."""
    work_dir = str(tmp_path / 'work')
    run(main_python, [
        osp.join(ROOT, 'tools', 'train.py'), MAIN_DEMO, '--work-dir', work_dir,
        '--cfg-options', *SHORT_RUN
    ],
        cwd=demo_dir)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')

    batch = _random_batch(str(tmp_path / 'batch.pth'))
    _assert_same_losses(
        detco_losses(DEMO, checkpoint, batch),
        _losses_in_main(main_python, MAIN_DEMO, checkpoint, batch, tmp_path))

    output = run(
        this_python, [
            TRAIN, DEMO, '--work-dir', work_dir, '--resume', checkpoint,
            '--cfg-options', *SHORT_RUN, 'train_cfg.max_epochs=2'
        ],
        cwd=demo_dir)
    assert 'resumed epoch: 1' in output
    assert 'Epoch(train) [2][2/2]' in output
    assert sorted(
        map(osp.basename, glob.glob(osp.join(
            work_dir, 'epoch_*.pth')))) == ['epoch_1.pth', 'epoch_2.pth']
