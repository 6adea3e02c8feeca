# Copyright (c) mmdetco contributors. All rights reserved.
"""The ablation configs change only what their names say, build at the
demo's scale with exactly the losses their names say, and the MoCo v2 corner
is MMPretrain's MoCo v2."""
import copy
import glob
import os.path as osp

import mmpretrain
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS, TRANSFORMS

from mmdetco_demo import shrink_to_demo
from .conftest import ROOT

ABLATION_DIR = osp.join(ROOT, 'configs', 'detco', 'ablations')
PARENT = osp.join(ROOT, 'configs', 'detco',
                  'detco_resnet50_8xb32-coslr-100e_in1k.py')
SUFFIX = '_resnet50_8xb32-coslr-100e_in1k.py'
ALL = ('res2', 'res3', 'res4', 'res5')
TERMS = ('gg', 'll', 'lg')
VIEWS = 'train_dataloader.dataset.pipeline.1.'
RES5 = {
    'model.backbone.out_indices', 'model.neck.in_channels',
    'model.head.levels', 'model.head.level_weights'
}
# name -> (levels, terms, what differs from the 100-epoch config)
EXPECTED = {
    'detco-res5-gg': (('res5', ), ('gg', ), RES5 | {'model.head.loss_terms'}),
    'detco-gg': (ALL, ('gg', ), {'model.head.loss_terms'}),
    'detco-gg-ll': (ALL, ('gg', 'll'), {'model.head.loss_terms'}),
    'detco-gg-ll-lg': (ALL, TERMS, set()),
    'detco-res5': (('res5', ), TERMS, RES5),
    'detco-uniform-weights': (ALL, TERMS, {'model.head.level_weights'}),
    'detco-localhid9c': (ALL, TERMS, {'model.neck.local_hid_channels'}),
    'detco-noshuffle': (ALL, TERMS, {VIEWS + 'patch_pipeline.5.shuffle'}),
    'detco-grid2x2':
    (ALL, TERMS,
     {'model.neck.num_patches', VIEWS + 'patch_pipeline.5.grid_size'}),
    'detco-symmetric': (ALL, TERMS, {'model.symmetric'}),
    'detco-tau0.07': (ALL, TERMS, {'model.head.temperature'}),
    'detco-aa': (ALL, TERMS, {VIEWS + 'global_pipeline.5'}),
}


def ablation(name):
    return osp.join(ABLATION_DIR, name + SUFFIX)


def flatten(value, prefix=''):
    """Dotted keys -> leaves; lists of scalars are leaves."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)) and any(
            isinstance(v, (dict, list, tuple)) for v in value):
        items = enumerate(value)
    else:
        return {prefix[:-1]: value}
    flat = {}
    for key, item in items:
        flat.update(flatten(item, f'{prefix}{key}.'))
    return flat


def test_every_ablation_is_listed():
    names = {
        osp.basename(p)[:-len(SUFFIX)]
        for p in glob.glob(osp.join(ABLATION_DIR, '*.py'))
    }
    assert names == set(EXPECTED)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_ablation_changes_only_what_its_name_says(name):
    # top-level helper variables (the view pipelines) are compared where
    # they are used, in train_dataloader
    def settings(path):
        cfg = Config.fromfile(path).to_dict()
        return flatten({
            k: v
            for k, v in cfg.items()
            if not k.endswith('_pipeline') and k != 'randaugment'
        })

    child, parent = settings(ablation(name)), settings(PARENT)
    changed = {
        k
        for k in child.keys() | parent.keys()
        if child.get(k, 'absent') != parent.get(k, 'absent')
    }
    expected = EXPECTED[name][2]
    assert {p for p in expected if any(k.startswith(p) for k in changed)} \
        == expected
    assert all(any(k.startswith(p) for p in expected) for k in changed), \
        sorted(changed)


def demo_batch(cfg, batch_size=2):
    """The views of ``batch_size`` random images through the config's
    ``DetCoMultiView``, batched per view."""
    views = TRANSFORMS.build(cfg.train_dataloader.dataset.pipeline[1])
    rng = np.random.default_rng(0)
    samples = [
        views(dict(
            img=rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)))['img']
        for _ in range(batch_size)
    ]
    return [
        torch.stack([
            torch.from_numpy(np.ascontiguousarray(s[i])).permute(2, 0,
                                                                 1).float()
            for s in samples
        ]) for i in range(len(samples[0]))
    ]


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_ablation_at_demo_scale_has_the_losses_its_name_says(name):
    levels, terms, _ = EXPECTED[name]
    cfg = shrink_to_demo(ablation(name))
    model = MODELS.build(cfg.model)
    losses = model.loss(demo_batch(cfg), None)
    assert set(losses) == {'loss'} | {
        f'{kind}_{t}_{lv}'
        for kind in ('loss', 'acc')
        for t in terms
        for lv in levels
    }
    assert torch.isfinite(losses['loss'])


def mocov2_of(detco_cfg):
    """MMPretrain's own MoCo v2 model (its mocov2 config's model), sized
    like the DetCo model."""
    cfg = Config.fromfile(
        osp.join(
            osp.dirname(mmpretrain.__file__), '.mim', 'configs', 'mocov2',
            'mocov2_resnet50_8xb32-coslr-200e_in1k.py'))
    model = copy.deepcopy(cfg.model)
    channels = detco_cfg.model.neck.in_channels[0]
    model.backbone.depth = detco_cfg.model.backbone.depth
    model.neck.update(in_channels=channels, hid_channels=channels)
    model.update(
        queue_len=detco_cfg.model.queue_len, momentum=detco_cfg.model.momentum)
    assert model.type == 'MoCo' and model.neck.type == 'MoCoV2Neck'
    assert model.head.temperature == detco_cfg.model.head.temperature
    return MODELS.build(model)


def test_res5_gg_ablation_is_mocov2():
    """Same backbone and MLP weights, views and queue: the same loss to
    1e-5 and the same keys enqueued, for two SGD steps."""
    torch.manual_seed(0)
    cfg = shrink_to_demo(ablation('detco-res5-gg'))
    detco = MODELS.build(cfg.model)
    mocov2 = mocov2_of(cfg)
    mocov2.backbone.load_state_dict(detco.backbone.state_dict())
    mocov2.neck.mlp.load_state_dict(detco.neck.global_mlps[0].state_dict())
    mocov2.queue.copy_(detco.queue_global[0])
    start = detco.backbone.conv1.weight.detach().clone()
    optimizers = [
        torch.optim.SGD([p for p in m.parameters() if p.requires_grad],
                        lr=0.5,
                        momentum=0.9,
                        weight_decay=1e-4) for m in (detco, mocov2)
    ]
    for step in range(2):
        inputs = demo_batch(cfg, batch_size=4)
        losses = []
        for model, optimizer in zip((detco, mocov2), optimizers):
            torch.manual_seed(step)  # the shuffle-BN permutation
            loss = model.loss(inputs if model is detco else inputs[:2],
                              None)['loss']
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        torch.testing.assert_close(losses[0], losses[1], rtol=0, atol=1e-5)
        torch.testing.assert_close(
            detco.queue_global[0], mocov2.queue, rtol=0, atol=1e-5)
        assert int(detco.queue_ptr) == int(mocov2.queue_ptr) == 4 * (step + 1)
    # not trivially equal: the weights moved
    assert not torch.allclose(detco.backbone.conv1.weight, start)
    torch.testing.assert_close(detco.backbone.conv1.weight,
                               mocov2.backbone.conv1.weight)
