# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo learns: every term of every level falls well below chance, and no
branch collapses; with mismatched positives it does not learn, and the
literal design of the local MLPs collapses (docs/en/training_health.md).

A small run of the demo config (model, neck, head, hooks, schedule) with the
mm Runner on CPU: 32 generated images, 32 px global views, 3 x 3 patches of
10 px, a queue of 16 keys, 40 iterations. The colour and blur augmentations
are left out so that so few iterations suffice; everything the model does is
as configured.
"""
import math

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmdetco.engine import DetCoHealthHook
from mmdetco.models import DetCo
from mmdetco_demo import generate_demo_data
from ..conftest import ROOT

DEMO = f'{ROOT}/configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
QUEUE_LEN = 16
EPOCHS = 20
#: every term must end below this fraction of ln(K + 1)
LEARNED = 0.7
#: with mismatched positives every term must stay above this fraction
NOT_LEARNED = 0.95


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    generate_demo_data(
        str(root), num_pretrain=32, num_train=2, num_val=2, size=96)
    return str(root)


def small_cfg(data_root, work_dir):
    cfg = Config.fromfile(DEMO)
    cfg.work_dir = work_dir
    cfg.model.queue_len = QUEUE_LEN
    cfg.model.momentum = 0.05
    cfg.optim_wrapper.optimizer.lr = 0.06
    views = cfg.train_dataloader.dataset.pipeline[1]
    # crop (and flip) only
    views.global_pipeline = [
        dict(views.global_pipeline[0], scale=32),
        dict(type='RandomFlip', prob=0.5)
    ]
    views.patch_pipeline = [
        dict(views.patch_pipeline[0], scale=36),
        dict(type='RandomFlip', prob=0.5),
        dict(views.patch_pipeline[-1], patch_size=10)
    ]
    cfg.train_dataloader.update(batch_size=16, num_workers=0)
    cfg.train_dataloader.dataset.data_root = data_root
    # no kNN monitor: the small data set has no labelled objects to speak of
    cfg.custom_hooks = [
        h for h in cfg.custom_hooks if h['type'] != 'KNNMonitorHook'
    ]
    for hook in cfg.custom_hooks:  # BackboneBNStatsHook's whole images
        if 'dataloader' in hook:
            hook['dataloader']['dataset']['data_root'] = data_root
    cfg.train_cfg.max_epochs = EPOCHS
    cfg.param_scheduler[0].end = 4  # warm-up iterations
    cfg.param_scheduler[-1].update(T_max=EPOCHS, end=EPOCHS)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = EPOCHS
    cfg.log_processor = dict(window_size=4)
    return cfg


def train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    terms = {
        key[len('train/'):]: hub.get_scalar(key).mean(4)
        for key in hub.log_scalars if key.startswith('train/loss_')
    }
    hook = next(h for h in runner.hooks if isinstance(h, DetCoHealthHook))
    return terms, hook.collapsed


@pytest.mark.slow
def test_detco_learns_and_mismatched_positives_do_not(data_root, tmp_path,
                                                      monkeypatch):
    chance = math.log(QUEUE_LEN + 1)
    terms, collapsed = train(small_cfg(data_root, str(tmp_path / 'detco')))
    assert len(terms) == 12
    worst = max(terms, key=terms.get)
    assert terms[worst] < LEARNED * chance, (worst, terms)
    assert collapsed == {}

    # negative control: each query's positive key is another image's
    encode_keys = DetCo._encode_keys

    def rolled(self, image, patches):
        k_global, k_local = encode_keys(self, image, patches)
        return ([k.roll(1, dims=0)
                 for k in k_global], [k.roll(1, dims=0) for k in k_local])

    monkeypatch.setattr(DetCo, '_encode_keys', rolled)
    terms, _ = train(small_cfg(data_root, str(tmp_path / 'rolled')))
    best = min(terms, key=terms.get)
    assert terms[best] > NOT_LEARNED * chance, (best, terms)


@pytest.mark.slow
def test_literal_local_mlps_collapse_and_the_hook_says_so(data_root, tmp_path):
    cfg = small_cfg(data_root, str(tmp_path / 'literal'))
    cfg.model.neck.update(scale_local_input=False, local_init='default')
    terms, collapsed = train(cfg)
    assert 'local res5' in collapsed, collapsed
    assert not any(branch.startswith('global') for branch in collapsed)
    # the collapsed local terms score chance while the global ones learn
    chance = math.log(QUEUE_LEN + 1)
    for term in ('loss_ll_res4', 'loss_ll_res5', 'loss_lg_res5'):
        assert terms[term] > NOT_LEARNED * chance, (term, terms)
    assert terms['loss_gg_res5'] < LEARNED * chance, terms
