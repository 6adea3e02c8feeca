# Copyright (c) mmdetco contributors. All rights reserved.
"""``SeparableRoIAlign``: torchvision's RoIAlign values, its gradient by
two matrix products."""
import pytest
import torch
from torchvision.ops import roi_align

from mmdetco_demo.separable_roi_align import SeparableRoIAlign, axis_weights


def random_rois(num, num_imgs, extent):
    """RoIs inside, across and outside the border, and some of under a
    pixel."""
    xy = torch.rand(num, 2, dtype=torch.float64) * (extent + 40) - 20
    wh = torch.rand(num, 2, dtype=torch.float64) * extent * 0.8
    wh[:8] = torch.rand(8, 2) * 2
    idx = torch.randint(0, num_imgs, (num, 1)).double()
    return torch.cat([idx, xy, xy + wh], 1)


@pytest.mark.parametrize('sampling_ratio', [0, 1, 2])
@pytest.mark.parametrize('aligned', [True, False])
def test_values_and_gradients_are_torchvision_s(sampling_ratio, aligned):
    torch.manual_seed(0)
    feats = torch.randn(3, 4, 20, 18, dtype=torch.float64)
    rois = random_rois(96, 3, 80)
    rois[-1, 0] = 2  # an image of the batch may have no RoI: not image 1
    rois[rois[:, 0] == 1, 0] = 0
    grad = torch.randn(96, 4, 7, 7, dtype=torch.float64)
    layer = SeparableRoIAlign(
        7, spatial_scale=0.25, sampling_ratio=sampling_ratio, aligned=aligned)
    results = []
    for fn in (layer,
               lambda x, r: roi_align(x, r, 7, 0.25, sampling_ratio, aligned)):
        x = feats.clone().requires_grad_()
        out = fn(x, rois)
        out.backward(grad)
        results.append((out, x.grad))
    torch.testing.assert_close(*results[0][:1], *results[1][:1])
    torch.testing.assert_close(results[0][1], results[1][1])
    assert results[0][1][1].abs().sum() == 0
    assert results[0][1][[0, 2]].abs().sum() > 0


def test_axis_weights_by_hand():
    """Two bins of two samples on a 10 px axis: a sample is shared by its
    two pixels, clamped to the last pixel beyond its centre, 0 beyond one
    pixel outside the map."""
    weights = axis_weights(
        torch.tensor([7.0, -1.5, 20.0]), torch.tensor([4.0, 2.0, 2.0]), 2, 2,
        10)
    # RoI 7..11, samples at 7.5, 8.5 | 9.5 (clamped to 9), 10.5 (outside)
    expected = torch.zeros(2, 10)
    expected[0, 7:10] = torch.tensor([0.25, 0.5, 0.25])
    expected[1, 9] = 0.5
    torch.testing.assert_close(weights[0], expected)
    # RoI -1.5..0.5, samples at -1.25 (outside), -0.75 | -0.25, 0.25: the
    # ones in [-1, 0] clamp to pixel 0
    torch.testing.assert_close(weights[1, 0, :2], torch.tensor([0.5, 0.]))
    torch.testing.assert_close(weights[1, 1, :2], torch.tensor([0.875, 0.125]))
    assert weights[2].abs().sum() == 0


def test_only_average_pooling():
    with pytest.raises(ValueError, match='pool_mode must be "avg"'):
        SeparableRoIAlign(7, 0.25, pool_mode='max')
