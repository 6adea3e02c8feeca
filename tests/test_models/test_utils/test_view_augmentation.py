# Copyright (c) mmdetco contributors. All rights reserved.
"""Device-side augmentation of the DetCo views (the ``*_gpuaug.py`` configs),
checked on CPU tensors against the CPU pipeline it replaces."""
import os.path as osp
import random
import sys

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.optim import OptimWrapper
from mmpretrain.models.utils import SelfSupDataPreprocessor
from mmpretrain.registry import MODELS, TRANSFORMS

import mmdetco  # noqa: F401
from mmdetco.models.utils import DetCoViewAugmentation
from mmdetco.models.utils.view_augmentation import draw_params
from ...conftest import ROOT

DEMO = osp.join(ROOT, 'configs', 'detco',
                'detco_resnet18_1xb16-coslr-8e_demo.py')
BASE = osp.join(ROOT, 'configs', 'detco',
                'detco_resnet50_8xb32-coslr-200e_in1k.py')


def gpu_aug(path=DEMO):
    """The ``*_gpuaug.py`` variant of a pre-training config."""
    return Config.fromfile(path.replace('.py', '_gpuaug.py'))


def multi_view(cfg):
    return next(t for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'DetCoMultiView')


def types(pipeline):
    return [t['type'] for t in pipeline]


@pytest.mark.parametrize('path', [BASE, DEMO])
def test_gpuaug_config_moves_colour_greyscale_and_blur_to_the_preprocessor(
        path):
    """The variant is its config with the colour jitter, greyscale and blur
    of both view pipelines taken out and given to the preprocessor, with
    the parameters of the CPU transforms."""
    cpu, cfg = Config.fromfile(path), gpu_aug(path)
    moved = ('RandomApply', 'FastRandomGrayscale', 'GaussianBlur')
    for key in ('global_pipeline', 'patch_pipeline'):
        kept = [t for t in multi_view(cpu)[key] if t['type'] not in moved]
        assert multi_view(cfg)[key] == kept
    assert types(multi_view(cfg)['patch_pipeline']) == [
        'FastRandomResizedCrop', 'RandomFlip', 'JigsawPatches'
    ]
    jitter, grey, blur = multi_view(cpu)['global_pipeline'][1:4]
    assert [jitter['type'], grey['type'], blur['type']] == list(moved)
    assert grey['keep_channels'] and blur['magnitude_std'] == 'inf'
    colour = dict(jitter['transforms'][0])
    assert colour.pop('type') == 'ColorJitter' and colour.pop('backend')
    weights = grey['channel_weights']
    preprocessor = cfg.data_preprocessor
    assert preprocessor.type == 'DetCoDataPreprocessor'
    assert preprocessor.augmentation == dict(
        color_jitter=dict(colour, prob=jitter['prob']),
        grayscale=dict(
            prob=grey['prob'],
            # the CPU transform's BGR weights in RGB order, summing to 1
            rgb_weights=pytest.approx(
                [w / sum(weights) for w in reversed(weights)])),
        blur=dict(sigma_range=blur['magnitude_range'], prob=blur['prob']))
    assert preprocessor.mean == cpu.data_preprocessor.mean
    # nothing else differs
    for name in ('model', 'custom_hooks', 'optim_wrapper', 'train_cfg'):
        assert cfg[name] == cpu[name], name


def augmentation():
    return DetCoViewAugmentation(**gpu_aug().data_preprocessor.augmentation)


def test_shapes_and_one_draw_per_patch_set():
    torch.manual_seed(0)
    aug = DetCoViewAugmentation(color_jitter=dict(brightness=0.4,
                                                  prob=1.))  # brightness alone
    grey = torch.full((4, 3, 8, 8), 100.)
    views = [grey] * 2 + [torch.full((4, 3, 4, 4), 100.)] * 6
    out = aug(views, num_patches=3)
    assert [v.shape for v in out] == [v.shape for v in views]
    factor = torch.stack([v[:, 0, 0, 0] for v in out], dim=1) / 100.
    # the patches of a set share the factor, every image and view has its own
    sets = factor[:, 2:].reshape(4, 2, 3)
    assert torch.allclose(sets, sets[..., :1], atol=1e-5)
    draws = torch.cat([factor[:, :2].flatten(), sets[..., 0].flatten()])
    assert len(draws.unique()) == len(draws)
    with pytest.raises(
            ValueError, match='DetCoViewAugmentation expects 8 views'):
        aug(views[:-1], num_patches=3)

    # the blur too: a set's patches share a sigma (same impulse response)
    blur = DetCoViewAugmentation(blur=dict(sigma_range=(0.1, 2.0), prob=1.))
    impulse = torch.zeros(4, 3, 15, 15)
    impulse[..., 7, 7] = 255.
    out = blur([grey] * 2 + [impulse] * 6, num_patches=3)
    peaks = torch.stack([v[:, 0, 7, 7] for v in out[2:]], dim=1)
    sets = peaks.reshape(4, 2, 3)
    assert torch.allclose(sets, sets[..., :1])
    assert len(sets[..., 0].flatten().unique()) == 8


def colour_images(num, size=24, seed=0):
    """Smooth random colour images (BGR uint8)."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(40, 215, (num, 1, 1, 3))
    ramp = np.linspace(-30, 30, size)[None, :, None, None]
    return np.clip(low + ramp * rng.uniform(-1, 1, (num, 1, 1, 3)), 0,
                   255).astype(np.uint8)


def shifts(rgb, before):
    """Per image: mean intensity and colourfulness relative to ``before``,
    and whether the image is grey."""
    rgb = rgb.astype(float)
    mean = rgb.mean(axis=(1, 2, 3))
    colour = rgb.std(axis=3).mean(axis=(1, 2))
    if before is None:
        return mean, colour
    return mean / before[0], colour / before[1], colour < 1e-3


def test_distributions_match_the_cpu_pipeline():
    """Brightness and saturation shifts (mean and spread over many images)
    and the greyscale rate of the device path equal those of the CPU
    transforms it replaces."""
    images = colour_images(1500)
    cpu = [
        TRANSFORMS.build(t) for t in Config.fromfile(DEMO).view_augmentation
        if t['type'] != 'RandomFlip'
    ]
    random.seed(0)
    np.random.seed(0)
    cpu_out = []
    for img in images:
        results = dict(img=img.copy())
        for t in cpu:
            results = t(results)
        cpu_out.append(results['img'][..., ::-1])  # RGB
    torch.manual_seed(0)
    rgb = torch.from_numpy(images[..., ::-1].copy()).permute(0, 3, 1, 2)
    device_out = augmentation()([rgb.float()] * 2, num_patches=0)[0]

    before = shifts(images[..., ::-1], None)
    cpu_shift = shifts(np.stack(cpu_out), before)
    device_shift = shifts(device_out.permute(0, 2, 3, 1).numpy(), before)
    for name, c, d in zip(('brightness', 'colour'), cpu_shift, device_shift):
        assert abs(c.mean() - d.mean()) < 0.03, (name, c.mean(), d.mean())
        assert abs(c.std() - d.std()) < 0.03, (name, c.std(), d.std())
    # greyscale rate 0.2 on both (standard error 0.01)
    assert abs(cpu_shift[2].mean() - 0.2) < 0.04
    assert abs(device_shift[2].mean() - cpu_shift[2].mean()) < 0.04


def test_training_step_with_device_augmentation():
    """The demo model of its ``_gpuaug`` config trains on views from the
    shortened CPU pipeline; outside training nothing is augmented."""
    cfg = gpu_aug()
    pipeline = Compose([
        TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline
        if t['type'] != 'LoadImageOrSkip'
    ])
    batch = default_collate([
        pipeline(dict(img=img, img_shape=img.shape[:2]))
        for img in colour_images(4, size=96)
    ])
    model_cfg = dict(cfg.model, data_preprocessor=cfg.data_preprocessor)
    model_cfg.update(queue_len=8)
    model = MODELS.build(model_cfg)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    queue = model.queue_global.clone()
    torch.manual_seed(0)
    log = model.train_step(batch, optim)
    assert torch.isfinite(log['loss'])
    assert not torch.equal(model.queue_global, queue)

    preprocessor = model.data_preprocessor
    plain = SelfSupDataPreprocessor(
        mean=preprocessor.mean.flatten().tolist(),
        std=preprocessor.std.flatten().tolist(),
        to_rgb=True)
    for a, b in zip(preprocessor(batch)['inputs'], plain(batch)['inputs']):
        assert torch.equal(a, b)
    trained = preprocessor(batch, training=True)['inputs']
    assert not torch.equal(trained[0], plain(batch)['inputs'][0])


def test_processes_draw_their_own_augmentations(monkeypatch):
    """Under DDP every process has the same global generator state: each
    still draws its own parameters (seeded by rank), the global generator
    advances alike on all of them, and a run repeats exactly."""
    from mmdetco.models.utils import view_augmentation
    aug = DetCoViewAugmentation(
        color_jitter=dict(brightness=0.4, prob=1.),
        blur=dict(sigma_range=(0.1, 2.0), prob=1.))
    views = [torch.full((4, 3, 8, 8), 100.)] * 2

    def run(rank):
        monkeypatch.setattr(view_augmentation, 'get_rank', lambda: rank)
        torch.manual_seed(0)
        out = aug(views, num_patches=0)[0]
        return out, torch.rand(1)  # the global generator afterwards

    (rank0, after0), (rank1, after1) = run(0), run(1)
    assert not torch.equal(rank0, rank1)
    assert torch.equal(after0, after1)
    assert torch.equal(run(0)[0], rank0)
    # fp32 whatever the autocast context (the blur is a convolution)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        torch.manual_seed(0)
        assert torch.equal(aug(views, num_patches=0)[0], rank0)


@pytest.mark.parametrize('applied', [[1, 0, 1, 1], [1, 1, 1, 1], [0] * 4])
def test_draw_params_gives_every_image_its_row(applied):
    """To read: every per-image parameter has a row per image (also where
    kornia draws the factors for the applied images only), each
    repeated."""
    kornia = pytest.importorskip('kornia')
    # drawn for every image (p=1), then as kornia < 0.8.3 gives them
    jitter = kornia.augmentation.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.)
    real = jitter.forward_parameters
    applied = torch.tensor(applied, dtype=torch.bool)

    def only_applied(shape):
        params = real(shape)
        params['batch_prob'] = applied
        for name in ('brightness', 'contrast', 'saturation', 'hue'):
            params[f'{name}_factor'] = params[f'{name}_factor'][applied]
        return params

    jitter.forward_parameters = only_applied
    params = draw_params(jitter, (4, 3, 8, 8), repeats=3, every_image=True)
    assert params['batch_prob'].tolist() == applied.repeat_interleave(
        3).tolist()
    for name in ('brightness', 'contrast', 'saturation', 'hue'):
        factor = params[f'{name}_factor']
        assert factor.shape[0] == 12
        assert (factor[~applied.repeat_interleave(3)] == 0).all()
        assert torch.equal(factor[0::3], factor[2::3])
    assert params['forward_input_shape'].tolist() == [12, 3, 8, 8]


@pytest.mark.parametrize('prob', [1., 0.5])
def test_blur_params_repeat_per_patch(prob):
    """The blur's sigma is drawn per patch set, shared by its patches and
    passed back to kornia in its own form (also where some sets are not
    blurred)."""
    kornia = pytest.importorskip('kornia')
    torch.manual_seed(0)
    blur = kornia.augmentation.RandomGaussianBlur(5, (0.1, 2.0), p=prob)
    params = draw_params(blur, (6, 3, 8, 8), repeats=4)
    applied = params['batch_prob'].bool()
    assert applied.shape == (24, ) and 0 < applied.sum() <= 24
    sigma = params['sigma'].reshape(-1, 4, *params['sigma'].shape[1:])
    assert (sigma == sigma[:, :1]).all() and not (sigma == sigma[0]).all()
    x = torch.rand(24, 3, 8, 8)
    out = blur(x, params=params)
    assert torch.equal(out[~applied], x[~applied])
    assert not torch.equal(out[applied], x[applied])


def test_without_kornia_the_error_names_the_extra(monkeypatch):
    """kornia is imported only when the augmentation is configured; without
    it the error names the extra to install."""
    monkeypatch.setitem(sys.modules, 'kornia', None)
    from mmdetco.models.utils import DetCoDataPreprocessor
    DetCoDataPreprocessor(bgr_to_rgb=True)  # no augmentation: no kornia
    with pytest.raises(ImportError, match=r'mmdetco\[gpuaug\].*kornia>='):
        augmentation()
