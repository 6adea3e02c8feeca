# Copyright (c) mmdetco contributors. All rights reserved.
"""Keypoint R-CNN of mmdetco.det: heatmap targets, loss, the proposals of
the keypoint branch, keypoint decoding, flipping, the data pipeline, and two
training iterations plus keypoint AP on a synthetic COCO keypoint data
set."""
import json
import math
import os
import os.path as osp
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import DATASETS, MODELS, TRANSFORMS
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from mmdetco.det import (COCO_KEYPOINT_FLIP_PAIRS, heatmaps_to_keypoints,
                         keypoints_to_heatmap)
from mmdetco.det.keypoint_roi_head import \
    select_proposals_with_visible_keypoints
from ..test_benchmarks import (config_path, last_val_scalars, load_config,
                               shrink)

K = 17
CONFIG = 'coco/keypoint-rcnn_r50_fpn_ms-2x_coco.py'


@pytest.fixture(autouse=True)
def mmdet_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def test_keypoints_to_heatmap():
    rois = torch.tensor([[10., 20., 66., 76.], [0., 0., 112., 28.]])
    keypoints = torch.tensor([
        # inside; on the right border; left of the box; not visible
        [[30.7, 45.2, 2], [66., 30., 1], [5., 30., 2], [30., 30., 0]],
        # scale 0.5 in x, 2 in y; on the bottom border; below the box
        [[50., 10., 2], [3., 28., 2], [3., 29., 2], [0., 0., 0]],
    ])
    index, valid = keypoints_to_heatmap(keypoints, rois, 56)
    # floor((x - x1) * 56 / w), floor((y - y1) * 56 / h), index y * 56 + x
    assert valid.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert index.tolist() == [[25 * 56 + 20, 10 * 56 + 55, 0, 0],
                              [20 * 56 + 25, 55 * 56 + 1, 0, 0]]


def _head(num_keypoints=2):
    return MODELS.build(
        dict(
            type='KeypointRCNNHead',
            num_keypoints=num_keypoints,
            in_channels=4,
            conv_out_channels=8,
            num_convs=2))


def test_head_shapes_and_loss():
    head = _head()
    assert head(torch.randn(3, 4, 14, 14)).shape == (3, 2, 56, 56)

    torch.manual_seed(0)
    preds = torch.randn(3, 2, 56, 56)
    # image 0: one positive RoI of gt 1; image 1: two RoIs of gt 0
    results = [
        SimpleNamespace(
            pos_priors=torch.tensor([[0., 0., 56., 56.]]),
            pos_assigned_gt_inds=torch.tensor([1])),
        SimpleNamespace(
            pos_priors=torch.tensor([[0., 0., 28., 28.], [0., 0., 5., 5.]]),
            pos_assigned_gt_inds=torch.tensor([0, 0]))
    ]
    gts = [
        InstanceData(
            keypoints=torch.tensor([[[9., 9., 2], [9., 9., 2]],
                                    [[3.5, 7.2, 2], [9., 9., 0]]])),
        InstanceData(keypoints=torch.tensor([[[1.2, 2.7, 1], [20., 1., 2]]]))
    ]
    loss = head.loss_and_target(preds, results, gts)['loss_keypoint']
    # valid: (roi 0, kp 0) at (x 3, y 7); (roi 1, kp 0) at (2, 5) and
    # (roi 1, kp 1) at (40, 2); in roi 2 only kp 0 at (13, 30)
    expected = [(0, 0, 7 * 56 + 3), (1, 0, 5 * 56 + 2), (1, 1, 2 * 56 + 40),
                (2, 0, 30 * 56 + 13)]
    hand = -sum(
        F.log_softmax(preds[r, k].flatten(), 0)[i]
        for r, k, i in expected) / len(expected)
    torch.testing.assert_close(loss['loss_keypoint'], hand)

    # no valid keypoint: a zero loss that still has a gradient
    preds.requires_grad_(True)
    for gt in gts:
        gt.keypoints[..., 2] = 0
    loss = head.loss_and_target(preds, results, gts)['loss_keypoint']
    assert loss['loss_keypoint'].item() == 0
    loss['loss_keypoint'].backward()


def _sampling_result(priors, gt_inds, gt_bboxes):
    """A SamplingResult of ``priors`` assigned to the ground truths
    ``gt_inds - 1`` (``0``: negative)."""
    assign = AssignResult(
        num_gts=len(gt_bboxes),
        gt_inds=gt_inds,
        max_overlaps=(gt_inds > 0).float(),
        labels=torch.where(gt_inds > 0, 0, -1))
    return SamplingResult(
        pos_inds=(gt_inds > 0).nonzero().squeeze(1),
        neg_inds=(gt_inds == 0).nonzero().squeeze(1),
        priors=priors,
        gt_bboxes=gt_bboxes,
        assign_result=assign,
        gt_flags=priors.new_zeros(len(priors), dtype=torch.uint8))


def _keypoint_roi_head(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='KeypointRoIHead',
            keypoint_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(
                    type='RoIAlign', output_size=14, sampling_ratio=0),
                out_channels=4,
                featmap_strides=[4]),
            keypoint_head=dict(
                type='KeypointRCNNHead',
                num_keypoints=2,
                in_channels=4,
                conv_out_channels=8,
                num_convs=2),
            **kwargs))


# a 64 x 64 image, two ground truths with two keypoints (x, y, v)
PROPOSAL_GTS = InstanceData(
    bboxes=torch.tensor([[5., 5., 55., 55.], [10., 25., 35., 45.]]),
    labels=torch.tensor([0, 0]),
    keypoints=torch.tensor([[[10., 10., 2.], [50., 50., 2.]],
                            [[30., 30., 0.], [12., 40., 1.]]]))
PROPOSALS = torch.tensor([
    [0., 0., 20., 20.],  # gt 0: its keypoint 0 inside
    [25., 25., 60., 60.],  # gt 0: its keypoint 1 inside
    [20., 20., 40., 35.],  # gt 1: keypoint 0 inside but not visible
    [0., 30., 20., 50.],  # gt 1: keypoint 1 inside
    [40., 0., 60., 20.],  # gt 0: no keypoint inside
    [10., 0., 30., 10.],  # gt 0: keypoint 0 on its corner (inside)
    [30., 0., 50., 20.],  # negative
])
PROPOSAL_GT_INDS = torch.tensor([1, 1, 2, 2, 1, 1, 0])  # 1-based, 0: neg
KEPT = [0, 1, 3, 5]


def test_select_proposals_with_visible_keypoints():
    res = _sampling_result(PROPOSALS, PROPOSAL_GT_INDS, PROPOSAL_GTS.bboxes)
    selected = select_proposals_with_visible_keypoints(
        res, PROPOSAL_GTS.keypoints)
    assert selected.pos_inds.tolist() == KEPT
    torch.testing.assert_close(selected.pos_priors, PROPOSALS[KEPT])
    assert selected.pos_assigned_gt_inds.tolist() == [0, 0, 1, 0]
    torch.testing.assert_close(selected.pos_gt_bboxes,
                               PROPOSAL_GTS.bboxes[[0, 0, 1, 0]])
    assert selected.num_pos == 4 and len(selected.pos_gt_labels) == 4
    # the sampling result itself is unchanged (the box branch uses it)
    assert res.pos_inds.tolist() == [0, 1, 2, 3, 4, 5]
    torch.testing.assert_close(selected.neg_priors, PROPOSALS[[6]])


def test_keypoint_loss_on_proposals_with_visible_keypoints():
    head = _keypoint_roi_head()
    assert head.visible_keypoint_proposals
    torch.manual_seed(1)
    x = (torch.randn(1, 4, 16, 16), )
    res = _sampling_result(PROPOSALS, PROPOSAL_GT_INDS, PROPOSAL_GTS.bboxes)
    results = head.keypoint_loss(x, [res], [PROPOSAL_GTS])
    assert results['keypoint_preds'].shape == (4, 2, 56, 56)

    # the same as the old behaviour on a hand-made subset of the positives
    subset_inds = PROPOSAL_GT_INDS.clone()
    subset_inds[[2, 4]] = -1  # ignored: neither positive nor negative
    subset = _sampling_result(PROPOSALS, subset_inds, PROPOSAL_GTS.bboxes)
    assert subset.pos_inds.tolist() == KEPT
    head.visible_keypoint_proposals = False
    expected = head.keypoint_loss(x, [subset], [PROPOSAL_GTS])
    torch.testing.assert_close(results['keypoint_preds'],
                               expected['keypoint_preds'])
    for got, want in zip(results['keypoint_targets'],
                         expected['keypoint_targets']):
        assert got.tolist() == want.tolist()
    torch.testing.assert_close(results['loss_keypoint'],
                               expected['loss_keypoint'])
    assert results['loss_keypoint']['loss_keypoint'] > 0


def test_keypoint_loss_on_all_positives():
    """visible_keypoint_proposals=False: the old behaviour, all positives
    (an excluded proposal has no valid keypoint, so the loss is equal)."""
    head = _keypoint_roi_head(visible_keypoint_proposals=False)
    torch.manual_seed(1)
    x = (torch.randn(1, 4, 16, 16), )
    res = _sampling_result(PROPOSALS, PROPOSAL_GT_INDS, PROPOSAL_GTS.bboxes)
    results = head.keypoint_loss(x, [res], [PROPOSAL_GTS])
    preds = head._keypoint_forward(
        x, torch.cat([PROPOSALS.new_zeros(6, 1), PROPOSALS[:6]], 1))
    torch.testing.assert_close(results['keypoint_preds'], preds)
    expected = head.keypoint_head.loss_and_target(preds, [res],
                                                  [PROPOSAL_GTS])
    torch.testing.assert_close(results['loss_keypoint'],
                               expected['loss_keypoint'])
    head.visible_keypoint_proposals = True
    selected = head.keypoint_loss(x, [res], [PROPOSAL_GTS])
    torch.testing.assert_close(selected['loss_keypoint'],
                               results['loss_keypoint'])


def test_keypoint_loss_without_selected_proposals():
    head = _keypoint_roi_head()
    x = (torch.randn(1, 4, 16, 16, requires_grad=True), )
    gts = PROPOSAL_GTS.clone()
    gts.keypoints = gts.keypoints.clone()
    gts.keypoints[..., 2] = 0  # nothing visible
    res = _sampling_result(PROPOSALS, PROPOSAL_GT_INDS, gts.bboxes)
    results = head.keypoint_loss(x, [res], [gts])
    assert results['keypoint_preds'].shape == (0, 2, 56, 56)
    loss = results['loss_keypoint']['loss_keypoint']
    assert loss.item() == 0
    loss.backward()
    for name, param in head.keypoint_head.named_parameters():
        assert param.grad is not None, name
        assert (param.grad == 0).all(), name


def test_heatmaps_to_keypoints():
    maps = torch.zeros(2, 2, 56, 56)
    maps[0, 0, 10, 20] = maps[0, 1, 40, 5] = 50.
    maps[1, 0, 0, 55] = 50.
    rois = torch.tensor([[100., 200., 156., 256.], [0., 0., 112., 28.]])
    keypoints = heatmaps_to_keypoints(maps, rois)
    # centre of the arg-max pixel of the heatmap resized to the box
    torch.testing.assert_close(keypoints[0, :, :2],
                               torch.tensor([[120.5, 210.5], [105.5, 240.5]]))
    assert 0 < keypoints[0, 0, 2] <= 1
    x, y = keypoints[1, 0, :2].tolist()
    assert 108 <= x <= 112 and 0 <= y <= 1


def _flip(results, direction='horizontal'):
    results = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction=direction))(results)
    return TRANSFORMS.build(dict(type='FlipKeypoints'))(results)


def test_flip_swaps_joints_and_mirrors_x():
    from mmdet.structures.bbox import HorizontalBoxes
    keypoints = np.zeros((1, K, 3), np.float32)
    keypoints[0, :, 0] = 10 + np.arange(K)
    keypoints[0, :, 1] = 20 + np.arange(K)
    keypoints[0, :, 2] = 2
    keypoints[0, 4] = 0  # right ear unlabelled
    results = _flip(
        dict(
            img=np.zeros((50, 100, 3), np.uint8),
            img_shape=(50, 100),
            gt_bboxes=HorizontalBoxes(torch.tensor([[10., 20., 26., 36.]])),
            gt_keypoints=keypoints.copy()))
    flipped = results['gt_keypoints'][0]
    assert results['flip'] and results['flip_direction'] == 'horizontal'
    swap = dict(COCO_KEYPOINT_FLIP_PAIRS)
    swap.update({right: left for left, right in COCO_KEYPOINT_FLIP_PAIRS})
    assert swap[5] == 6 and swap[16] == 15
    for j in range(K):
        src = keypoints[0, swap.get(j, j)]
        if src[2] == 0:
            assert (flipped[j] == 0).all()
        else:
            assert flipped[j].tolist() == [100 - src[0], src[1], 2]
    # the nose stays the nose; the left ear is the flipped right ear (0)
    assert (flipped[3] == 0).all() and flipped[4, 2] == 2
    # the keypoints and the box move together
    box = results['gt_bboxes'].tensor[0].tolist()
    assert box == [74., 20., 90., 36.]
    assert box[0] <= flipped[:, 0][flipped[:, 2] > 0].min()
    assert flipped[:, 0].max() <= box[2]


def _write_image(path, width, height, seed):
    rng = np.random.RandomState(seed)
    mmcv.imwrite(rng.randint(0, 255, (height, width, 3), np.uint8), path)


def _person(rng, ann_id, img_id, width, height, **extra):
    w, h = rng.randint(20, width // 2), rng.randint(24, height // 2)
    x, y = rng.randint(0, width - w), rng.randint(0, height - h)
    keypoints = []
    for _ in range(K):
        keypoints += [
            int(rng.randint(x, x + w)),
            int(rng.randint(y, y + h)), 2
        ]
    return dict(
        id=ann_id,
        image_id=img_id,
        category_id=1,
        bbox=[x, y, w, h],
        area=w * h,
        iscrowd=0,
        keypoints=keypoints,
        num_keypoints=K,
        **extra)


@pytest.fixture(scope='module')
def keypoint_coco(tmp_path_factory):
    """Synthetic COCO keypoints: 4 training and 2 validation images of
    64-96 px with 1-2 persons each; the first training image also has a
    crowd region and a box that CocoDataset drops (w < 1); the persons of
    the last training image have no labelled keypoints."""
    root = str(tmp_path_factory.mktemp('kp_coco'))
    os.makedirs(osp.join(root, 'annotations'))
    rng = np.random.RandomState(0)
    category = dict(
        id=1,
        name='person',
        keypoints=[f'kp{i}' for i in range(K)],
        skeleton=[])
    ann_id = 0
    for split, num in (('train', 4), ('val', 2)):
        os.makedirs(osp.join(root, split))
        images, anns = [], []
        for i in range(num):
            width, height = rng.randint(64, 97, size=2).tolist()
            name = f'{i:04d}.jpg'
            _write_image(osp.join(root, split, name), width, height, i)
            images.append(
                dict(id=i + 1, file_name=name, width=width, height=height))
            if split == 'train' and i == 0:
                anns.append(
                    dict(_person(rng, ann_id + 1, i + 1, width, height),
                         iscrowd=1))
                anns.append(
                    dict(_person(rng, ann_id + 2, i + 1, width, height),
                         bbox=[1, 1, 0.5, 10]))
                ann_id += 2
            for _ in range(rng.randint(1, 3)):
                ann_id += 1
                anns.append(_person(rng, ann_id, i + 1, width, height))
                if split == 'train' and i == num - 1:
                    anns[-1].update(keypoints=[0] * 3 * K, num_keypoints=0)
        with open(osp.join(root, 'annotations', f'instances_{split}.json'),
                  'w') as f:
            json.dump(
                dict(images=images, annotations=anns, categories=[category]),
                f)
    return root


def _tiny_cfg(root, work_dir):
    cfg = load_config(config_path(CONFIG))
    assert 'mmdetco.det' in cfg.custom_imports.imports
    shrink(cfg, work_dir, coco_root=root, classes=('person', ), size=96)
    cfg.model.backbone.init_cfg = None
    cfg.model.roi_head.keypoint_head.conv_out_channels = 64
    return cfg


def test_pipeline_keeps_keypoints_with_their_boxes(keypoint_coco, tmp_path):
    cfg = _tiny_cfg(keypoint_coco, str(tmp_path))
    dataset_cfg = cfg.train_dataloader.dataset
    for step in dataset_cfg.pipeline:
        if step['type'] == 'RandomFlip':
            step['prob'] = 1.0
    dataset = DATASETS.build(dataset_cfg)
    # the image without labelled keypoints is dropped (detectron2's
    # MIN_KEYPOINTS_PER_IMAGE = 1)
    assert sorted(dataset.get_data_info(i)['img_id']
                  for i in range(len(dataset))) == [1, 2, 3]
    with open(osp.join(keypoint_coco, 'annotations',
                       'instances_train.json')) as f:
        anns = json.load(f)['annotations']
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        raw = [
            a for a in anns
            if a['image_id'] == info['img_id'] and a['bbox'][2] >= 1
        ]
        assert [inst['keypoints'] for inst in info['instances']] == \
            [a['keypoints'] for a in raw]
        sample = dataset[i]['data_samples']
        gt = sample.gt_instances
        assert gt.keypoints.shape == (len(gt.bboxes), K, 3)
        assert len(sample.ignored_instances.keypoints) == \
            sum(a['iscrowd'] for a in raw)
        # all keypoints lie in their (resized, flipped) box, mirrored
        # joints included
        boxes, kpts = gt.bboxes.tensor, gt.keypoints
        assert (kpts[..., 2] == 2).all()
        for lo, hi, axis in ((0, 2, 0), (1, 3, 1)):
            assert (kpts[..., axis] >= boxes[:, None, lo] - 1e-3).all()
            assert (kpts[..., axis] <= boxes[:, None, hi] + 1e-3).all()
        scale = sample.metainfo['scale_factor'][0]
        assert math.isclose(96 / scale, max(sample.ori_shape), rel_tol=0.02)


def test_train_and_evaluate_keypoint_ap(keypoint_coco, tmp_path):
    """Two iterations and an evaluation of the shrunk benchmark config."""
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(_tiny_cfg(keypoint_coco, work_dir))
    runner.train()
    metrics = last_val_scalars(work_dir)
    for key in ('coco/keypoints_AP', 'coco/keypoints_AP50',
                'coco/keypoints_AP75', 'coco/bbox_mAP'):
        assert isinstance(metrics[key], float), metrics
    assert -1 <= metrics['coco/keypoints_AP'] <= 1
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))


def test_metric_of_ground_truth_is_perfect(keypoint_coco):
    """The ground truth as detections (continuous coordinates, i.e. + 0.5,
    as the model predicts them) has keypoint AP 1."""
    from mmdet.registry import METRICS
    ann_file = osp.join(keypoint_coco, 'annotations', 'instances_val.json')
    metric = METRICS.build(dict(type='CocoKeypointMetric', ann_file=ann_file))
    metric.dataset_meta = dict(classes=('person', ))
    with open(ann_file) as f:
        coco = json.load(f)
    samples = []
    for img in coco['images']:
        kpts = torch.tensor([
            a['keypoints'] for a in coco['annotations']
            if a['image_id'] == img['id']
        ]).float().view(-1, K, 3)
        samples.append(
            dict(
                img_id=img['id'],
                pred_instances=dict(
                    keypoints=kpts[..., :2] + 0.5,
                    keypoint_scores=torch.ones(len(kpts), K),
                    labels=torch.zeros(len(kpts), dtype=torch.long),
                    scores=torch.ones(len(kpts)))))
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    assert results['coco/keypoints_AP'] == 1.0
    assert results['coco/keypoints_AP50'] == 1.0
