# Copyright (c) mmdetco contributors. All rights reserved.
"""EMANormRetinaHead: detectron2's running loss normaliser of RetinaNet."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

import mmdetco.det  # noqa: F401  (registers the modules)

# one level of 4 x 4 square anchors of size 16 at stride 16 in a 64 x 64
# image: anchors tile the image, so a ground truth equal to an anchor has
# exactly one positive anchor (IoU 1, 0 with all the others)
FEAT = 4
IMG = 64

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def _head(head_type='EMANormRetinaHead', **kwargs):
    return MODELS.build(
        dict(
            type=head_type,
            num_classes=2,
            in_channels=4,
            feat_channels=4,
            stacked_convs=1,
            anchor_generator=dict(
                type='AnchorGenerator',
                octave_base_scale=1,
                scales_per_octave=1,
                ratios=[1.0],
                strides=[16]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[.0, .0, .0, .0],
                target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(
                type='FocalLoss',
                use_sigmoid=True,
                gamma=2.0,
                alpha=0.25,
                loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0),
            train_cfg=dict(
                assigner=dict(
                    type='MaxIoUAssigner',
                    pos_iou_thr=0.5,
                    neg_iou_thr=0.4,
                    min_pos_iou=0,
                    ignore_iof_thr=-1),
                sampler=dict(type='PseudoSampler'),
                allowed_border=-1,
                pos_weight=-1,
                debug=False),
            **kwargs))


def _anchors(head):
    """The (one level) anchors of an image, ``(16, 4)``."""
    return head.prior_generator.grid_priors([(FEAT, FEAT)], device='cpu')


def _gts(head, *anchor_inds):
    """Ground truths equal to the anchors ``anchor_inds`` of each image
    (one positive anchor each)."""
    anchors = _anchors(head)[0]
    return [
        InstanceData(
            bboxes=anchors[list(inds)].reshape(-1, 4),
            labels=torch.ones(len(inds), dtype=torch.long))
        for inds in anchor_inds
    ]


def _loss(head, gts, seed=0):
    torch.manual_seed(seed)
    cls_scores = [torch.randn(len(gts), 2, FEAT, FEAT)]
    bbox_preds = [torch.randn(len(gts), 4, FEAT, FEAT)]
    metas = [dict(img_shape=(IMG, IMG), pad_shape=(IMG, IMG))] * len(gts)
    losses = head.loss_by_feat(cls_scores, bbox_preds, gts, metas)
    return {k: sum(v) for k, v in losses.items()}


def test_loss_is_normalised_by_the_running_average():
    head, ref_head = _head(), _head('RetinaHead')
    gts = _gts(head, (5, 10), (15, ))  # 3 positive anchors
    anchors = _anchors(head)
    metas = [dict(img_shape=(IMG, IMG), pad_shape=(IMG, IMG))] * 2
    assert ref_head.get_targets([anchors] * 2,
                                [[torch.ones(FEAT * FEAT).bool()]] * 2, gts,
                                metas)[4] == 3
    assert head.loss_normalizer == 100
    losses, ref = _loss(head, gts), _loss(ref_head, gts)
    normalizer = 0.9 * 100 + 0.1 * 3
    assert head.loss_normalizer == pytest.approx(normalizer)
    for key in ('loss_cls', 'loss_bbox'):
        assert ref[key] > 0
        torch.testing.assert_close(losses[key], ref[key] * 3 / normalizer)
    # a plain attribute, not saved in checkpoints
    assert not any('normalizer' in k for k in head.state_dict())


def test_normaliser_sequence():
    head = _head()
    steps = [
        # (ground truths of the images, positive anchors of the batch):
        # RetinaHead would count an image without positives as 1
        (((5, 10), ()), 2),
        (((), ()), 0),  # max(0, 1)
        (((0, 6, 11), ), 3),
    ]
    expected = 100.
    for anchor_inds, num_pos in steps:
        _loss(head, _gts(head, *anchor_inds))
        expected = 0.9 * expected + 0.1 * max(num_pos, 1)
        assert head.loss_normalizer == pytest.approx(expected)
    assert expected == pytest.approx(0.9 * (0.9 * 90.2 + 0.1) + 0.3)

    head = _head(loss_normalizer_momentum=0.5, loss_normalizer_init=10)
    _loss(head, _gts(head, (5, 10)))
    assert head.loss_normalizer == pytest.approx(6.)


def test_get_targets_returns_sampling_results_on_request():
    head = _head()
    anchors = _anchors(head)
    targets = head.get_targets([anchors], [[torch.ones(FEAT * FEAT).bool()]],
                               _gts(head, (5, )), [dict(img_shape=(IMG, IMG))],
                               return_sampling_results=True)
    assert len(targets) == 6
    assert targets[4] == head.loss_normalizer == pytest.approx(90.1)
    assert targets[5][0].pos_inds.tolist() == [5]


@pytest.mark.parametrize('momentum', [1.0, 1.5, -0.1])
def test_bad_momentum(momentum):
    with pytest.raises(ValueError, match='loss_normalizer_momentum'):
        _head(loss_normalizer_momentum=momentum)


def test_bad_init():
    with pytest.raises(ValueError, match='loss_normalizer_init'):
        _head(loss_normalizer_init=0)
