# Copyright (c) mmdetco contributors. All rights reserved.
"""KeypointRoIHead: the keypoint branch trains on the proposals with a
visible keypoint inside (``visible_keypoint_proposals``)."""
import pytest
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

from mmdetco.det.keypoint_roi_head import \
    select_proposals_with_visible_keypoints

pytestmark = pytest.mark.usefixtures('mmdet_scope')


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
    selected = select_proposals_with_visible_keypoints(res,
                                                       PROPOSAL_GTS.keypoints)
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
    expected = head.keypoint_head.loss_and_target(preds, [res], [PROPOSAL_GTS])
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
