# Copyright (c) mmdetco contributors. All rights reserved.
"""The demo chain on tiny data: DetCo pre-training -> export -> Faster R-CNN
fine-tuning -> AP, exactly as ``make demo`` runs it, only smaller."""
import json
import os
import sys

import pytest
import torch
from mmengine.config import Config

from mmdetco_demo import (DETCO_CONFIG, DETECTOR_CONFIG, MOCOV2_CONFIG,
                          PROBE_CONFIG, dense_miou, export_backbone, finetune,
                          generate_demo_data, last_checkpoint, pretrain,
                          pretrain_health, probe, probe_seeds_mean,
                          probes_side_by_side, random_init_backbone, read_log,
                          terms_not_falling)
from mmdetco_demo.scenes import CLASSES
from mmdetco_demo.steps import run_logged
from ..conftest import ROOT

TINY_PRETRAIN = ('train_dataloader.batch_size=4',
                 'train_dataloader.num_workers=0', 'model.queue_len=16',
                 'train_cfg.max_epochs=1')
TINY_FINETUNE = ('train_dataloader.batch_size=2',
                 'train_dataloader.num_workers=0',
                 'val_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
                 'train_cfg.val_interval=1')


def test_detector_config_matches_the_demo_classes():
    cfg = Config.fromfile(f'{ROOT}/{DETECTOR_CONFIG}')
    assert tuple(cfg.metainfo.classes) == CLASSES
    assert cfg.model.roi_head.bbox_head.num_classes == len(CLASSES)
    # fine-tuning conventions: RGB + ImageNet stats inside the model, every
    # stage trained
    assert cfg.model.data_preprocessor.bgr_to_rgb
    assert cfg.model.backbone.frozen_stages == -1
    assert not cfg.model.backbone.norm_eval


def test_detector_roi_align_matches_the_mmcv_kernel():
    """The demo detector's RoI extractor (SeparableRoIAlign, for speed)
    computes what the mmcv kernel of MMDetection's configs does, values and
    gradients."""
    from mmcv.ops import RoIAlign
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    import mmdetco_demo.separable_roi_align  # noqa: F401 (registers it)
    cfg = Config.fromfile(
        f'{ROOT}/{DETECTOR_CONFIG}').model.roi_head.bbox_roi_extractor
    with DefaultScope.overwrite_default_scope('mmdet'):
        extractor = MODELS.build(cfg)
    torch.manual_seed(0)
    feats = [
        torch.randn(2, 128, 160 // s, 160 // s) for s in cfg.featmap_strides
    ]
    xy = torch.rand(64, 2) * 120
    wh = torch.rand(64, 2) * 150 + 4
    rois = torch.cat([torch.randint(0, 2, (64, 1)).float(), xy, xy + wh], 1)
    results = []
    for layers in (None, extractor.roi_layers):
        if layers is None:  # mmcv's kernel, the same settings
            args = {k: v for k, v in cfg.roi_layer.items() if k != 'type'}
            extractor.roi_layers = torch.nn.ModuleList(
                RoIAlign(spatial_scale=1 / s, **args)
                for s in cfg.featmap_strides)
        else:
            extractor.roi_layers = layers
        x = [f.clone().requires_grad_() for f in feats]
        out = extractor(x, rois)
        out.pow(2).sum().backward()
        results.append((out, *(f.grad for f in x)))
    assert results[0][0].shape == (64, 128, 7, 7)
    assert sum(int(g.abs().sum() > 0) for g in results[0][1:]) >= 2
    # float32 sums in another order
    for mmcv_value, separable_value in zip(*results):
        torch.testing.assert_close(
            separable_value, mmcv_value, rtol=1e-4, atol=1e-4)


def test_mocov2_baseline_is_trained_like_detco():
    mocov2 = Config.fromfile(f'{ROOT}/{MOCOV2_CONFIG}')
    detco = Config.fromfile(
        f'{ROOT}/configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py')
    assert mocov2.model.type == 'MoCo'
    assert mocov2.model.queue_len == detco.model.queue_len
    for key in ('train_cfg', 'param_scheduler', 'optim_wrapper', 'randomness'):
        assert mocov2[key] == detco[key], key
    views = mocov2.train_dataloader.dataset.pipeline[1].transforms[0]
    assert views == detco.train_dataloader.dataset.pipeline[1].global_pipeline


def test_read_log(tmp_path):
    log = tmp_path / '20260101_000000' / 'vis_data'
    log.mkdir(parents=True)
    lines = [dict(loss=3.0, step=1), dict(lr=0.1), dict(loss=2.0, step=2)]
    (log / '20260101_000000.json').write_text('\n'.join(
        json.dumps(x) for x in lines))
    (log / 'scalars.json').write_text(json.dumps(dict(loss=99.)))
    assert read_log(str(tmp_path), 'loss') == [3.0, 2.0]
    with pytest.raises(RuntimeError, match='coco/bbox_mAP'):
        read_log(str(tmp_path), 'coco/bbox_mAP')


def test_pretrain_health_reads_terms_collapse_and_knn(tmp_path):
    log = tmp_path / '20260101_000000' / 'vis_data'
    log.mkdir(parents=True)
    healthy = 1 / 128**0.5
    lines = [
        {
            'knn/top1': 30.0,
            'step': 0
        },
        dict(loss=9.0, loss_gg_res5=5.0, step=4),
        {
            'knn/top1': 45.0,
            'step': 8
        },
        dict(
            loss=8.0,
            loss_gg_res5=4.0,
            loss_ll_res5=5.549,
            spread_global_res5=healthy,
            spread_local_res5=0.01 * healthy,
            spread_local_res4=0.01 * healthy,
            poscos_global_res5=0.8,
            poscos_local_res5=0.99,
            # local res4 is narrow but its positives stand out: not collapsed
            acc_ll_res4=50.,
            acc_lg_res4=50.,
            acc_ll_res5=0.,
            acc_lg_res5=0.,
            step=8),
    ]
    (log / '20260101_000000.json').write_text('\n'.join(
        json.dumps(x) for x in lines))
    health = pretrain_health(DETCO_CONFIG, str(tmp_path))
    assert health['chance_loss'] == pytest.approx(5.549, abs=1e-3)
    assert health['terms'] == dict(loss_gg_res5=4.0, loss_ll_res5=5.549)
    assert health['worst_term_vs_chance'] == pytest.approx(1.0, abs=1e-3)
    assert health['collapsed_branches'] == ['local res5']
    assert health['spread_ratio'] == dict(
        global_res5=1.0, local_res5=0.01, local_res4=0.01)
    assert health['positive_cosine'] == dict(global_res5=0.8, local_res5=0.99)
    assert (health['knn_top1_random_init'],
            health['knn_top1_pretrained']) == (30.0, 45.0)


@pytest.mark.slow
def test_demo_chain_on_tiny_data(tmp_path):
    data_root = str(tmp_path / 'data')
    generate_demo_data(
        data_root, num_pretrain=8, num_train=4, num_val=2, size=128)
    work_dir = tmp_path / 'work'
    checkpoint = pretrain(
        'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py',
        str(work_dir / 'pretrain'),
        data_root,
        cfg_options=TINY_PRETRAIN)
    backbone = export_backbone(checkpoint, str(work_dir / 'backbone.pth'))
    exported = torch.load(backbone, map_location='cpu')['state_dict']
    pretrained = torch.load(checkpoint, map_location='cpu')['state_dict']
    torch.testing.assert_close(exported['conv1.weight'],
                               pretrained['backbone.conv1.weight'])
    ap = finetune(
        str(work_dir / 'detector'),
        data_root,
        backbone,
        cfg_options=TINY_FINETUNE)
    assert set(ap) == {'AP', 'AP50', 'AP75'}
    assert all(0 <= v <= 100 for v in ap.values())
    log = '\n'.join(p.read_text()
                    for p in (work_dir / 'detector').glob('*/*.log'))
    assert 'load model from' in log and 'backbone.pth' in log

    # the frozen probe: the backbone's weights stay those of the file, its
    # BN statistics are re-estimated on the detector's images
    ap = probe(
        str(work_dir / 'probe'),
        data_root,
        backbone,
        cfg_options=TINY_FINETUNE)
    assert set(ap) == {'AP', 'AP50', 'AP75'}
    probed = torch.load(
        last_checkpoint(str(work_dir / 'probe')),
        map_location='cpu')['state_dict']
    for name, value in exported.items():
        if name.endswith(('running_mean', 'running_var')):
            assert not torch.allclose(probed[f'backbone.{name}'], value)
        elif not name.endswith('num_batches_tracked'):
            torch.testing.assert_close(probed[f'backbone.{name}'], value)
    log = '\n'.join(p.read_text()
                    for p in (work_dir / 'probe').glob('*/*.log'))
    assert 'BackboneBNStatsHook: the running statistics of 20' in log

    # two probes side by side, a process, a thread and a log each
    aps = probes_side_by_side(
        dict(first=(backbone, 0), second=(backbone, 0)),
        str(work_dir),
        data_root,
        cfg_options=TINY_FINETUNE)
    assert aps['first'] == aps['second']
    for name in ('first', 'second'):
        log = (work_dir / f'probe_{name}.log').read_text()
        assert 'BackboneBNStatsHook: the running statistics of 20' in log
        assert (work_dir / f'probe_{name}' / 'last_checkpoint').exists()

    # the dense probe of the backbone and of the pixels, deterministic
    miou = dense_miou(data_root, backbone)
    assert 0 < miou < 100 and dense_miou(data_root, backbone) == miou
    assert 0 < dense_miou(data_root) < 100


def report_threads(exit_code):
    """Print the threads of this process, then exit with ``exit_code``
    (a function of :func:`test_run_logged_log_and_threads`)."""
    print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())
    sys.exit(exit_code)


@pytest.mark.slow
def test_run_logged_log_and_threads(tmp_path):
    log = tmp_path / 'logs' / 'tool.log'
    run_logged(report_threads, (0, ), str(log), threads=1)
    assert log.read_text().split() == ['1', '1']
    with pytest.raises(RuntimeError, match='exit code 3.*tool.log'):
        run_logged(report_threads, (3, ), str(log), threads=1)


def test_finetune_without_detections_raises(tmp_path, monkeypatch):
    """A run whose detector detects nothing on val (CocoMetric then logs
    no AP) is reported as diverged, never as AP 0."""
    log = tmp_path / 'probe' / '20260101_000000' / 'vis_data'
    log.mkdir(parents=True)
    records = log / '20260101_000000.json'
    records.write_text(json.dumps(dict(loss=2.4, step=192)))
    monkeypatch.setattr('mmdetco_demo.steps.train', lambda *a, **k: None)
    with pytest.raises(RuntimeError, match='probe: no detection.*diverged'):
        probe(str(tmp_path / 'probe'), str(tmp_path), None)
    records.write_text('\n'.join(
        json.dumps(x) for x in (dict(loss=2.4, step=192), {
            'coco/bbox_mAP': 0.0912,
            'coco/bbox_mAP_50': 0.2,
            'coco/bbox_mAP_75': 0.05,
            'step': 6
        })))
    assert probe(str(tmp_path / 'probe'), str(tmp_path), None) == dict(
        AP=9.1, AP50=20.0, AP75=5.0)


def test_probe_seeds_mean(tmp_path, monkeypatch):
    """One seed: one probe with the default threads in the work dir;
    several: side by side, one thread and one folder each, averaged."""
    calls = []

    def fake_probe(work_dir, data_root, backbone, seed, cfg_options, **run):
        calls.append((work_dir, backbone, seed, run.get('threads')))
        return dict(AP=7.0 + seed / 1000)

    monkeypatch.setattr('mmdetco_demo.steps.probe', fake_probe)
    assert probe_seeds_mean('wd', 'data', 'b.pth', [1000]) == dict(
        probe=8.0, probe_runs=[8.0])
    assert calls == [('wd', 'b.pth', 1000, None)]
    calls.clear()
    result = probe_seeds_mean(str(tmp_path), 'data', None, [0, 1000])
    assert result == dict(probe=7.5, probe_runs=[7.0, 8.0])
    assert sorted(calls) == [(str(tmp_path / 'probe_seed0'), None, 0, 1),
                             (str(tmp_path / 'probe_seed1000'), None, 1000, 1)]


def test_frozen_probe_clips_and_stops_on_an_invalid_loss():
    """The probe cannot report AP 0 for a diverged run: its gradients are
    clipped and a non-finite loss stops it."""
    cfg = Config.fromfile(f'{ROOT}/{PROBE_CONFIG}')
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=10, norm_type=2)
    assert dict(type='CheckInvalidLossHook', interval=1) in cfg.custom_hooks


def test_terms_not_falling():
    """A term keeps falling when its mean over the last 10 % of the run is
    below its mean over the 10 % that starts at ``start_iter``."""
    records = [
        dict(
            step=step,
            loss_gg_res5=5.0 - step / 100,  # falls throughout
            loss_ll_res5=4.5 if step < 60 else 5.0,  # dips, then rises
            loss_lg_res5=4.0) for step in range(4, 101, 4)
    ]
    assert terms_not_falling(
        records, start_iter=20) == ['loss_lg_res5', 'loss_ll_res5']
    # too short a run for the windows to be apart: nothing is shown
    assert terms_not_falling(
        records[:5],
        start_iter=20) == ['loss_gg_res5', 'loss_lg_res5', 'loss_ll_res5']


def test_random_init_backbone(tmp_path):
    """The random initialisation a pre-training starts from: the same for
    the same seed, another for another, in the exported backbone's
    format (a ResNet-18 state dict without prefix)."""
    paths = [
        random_init_backbone(str(tmp_path / str(i)), s)
        for i, s in enumerate((0, 0, 1))
    ]
    a, b, c = (torch.load(p, map_location='cpu')['state_dict'] for p in paths)
    assert len(a) == 120 and 'conv1.weight' in a and 'layer4.1.bn2.bias' in a
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a['conv1.weight'], c['conv1.weight'])
