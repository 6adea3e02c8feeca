# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch

from mmdetco.models import DetCoNeck

RESNET50_CHANNELS = (256, 512, 1024, 2048)


def test_output_shapes_and_normalisation():
    neck = DetCoNeck(in_channels=(8, 16), out_channels=5)
    global_feats = [torch.randn(3, 8, 6, 6), torch.randn(3, 16, 3, 3)]
    local_feats = [torch.randn(27, 8, 2, 2), torch.randn(27, 16, 1, 1)]
    g, l_ = neck(global_feats, local_feats)
    assert [x.shape for x in g] == [torch.Size([3, 5])] * 2
    assert [x.shape for x in l_] == [torch.Size([3, 5])] * 2
    for x in g + l_:
        torch.testing.assert_close(x.norm(dim=1), torch.ones(3))


def test_mlp_shapes_follow_the_spec():
    neck = DetCoNeck(in_channels=RESNET50_CHANNELS)
    for c, g, loc in zip(RESNET50_CHANNELS, neck.global_mlps, neck.local_mlps):
        assert (g[0].in_features, g[0].out_features) == (c, c)
        assert (g[2].in_features, g[2].out_features) == (c, 128)
        assert (loc[0].in_features, loc[0].out_features) == (9 * c, c)
        assert (loc[2].in_features, loc[2].out_features) == (c, 128)


def test_local_mlps_of_resnet50_stay_under_55m_parameters():
    neck = DetCoNeck(in_channels=RESNET50_CHANNELS)
    num = sum(p.numel() for p in neck.local_mlps.parameters())
    assert 50e6 < num <= 55e6


def test_hid_channels_int_and_sequence():
    assert DetCoNeck((8, 16), hid_channels=4).local_mlps[1][0].out_features \
        == 4
    neck = DetCoNeck((8, 16), hid_channels=(3, 5))
    assert [m[0].out_features for m in neck.global_mlps] == [3, 5]
    with pytest.raises(ValueError, match='hid_channels'):
        DetCoNeck((8, 16), hid_channels=(3, ))


def test_local_concatenates_patches_in_order():
    """Patch j of sample n is row n * 9 + j; swapping two patches of one
    sample changes only that sample's embedding."""
    torch.manual_seed(0)
    neck = DetCoNeck(in_channels=(4, ), out_channels=6)
    feats = torch.randn(18, 4, 1, 1)
    ref = neck.forward_local([feats])[0]
    swapped = feats.clone()
    swapped[[0, 1]] = feats[[1, 0]]
    out = neck.forward_local([swapped])[0]
    assert not torch.allclose(out[0], ref[0])
    torch.testing.assert_close(out[1], ref[1])
    # the same as the MLP on the concatenation in patch order
    expected = neck.local_mlps[0](feats.flatten(1).reshape(2, 36))
    torch.testing.assert_close(ref,
                               torch.nn.functional.normalize(expected, dim=1))


def test_errors_name_the_mismatch():
    neck = DetCoNeck(in_channels=(8, 16))
    with pytest.raises(ValueError, match='out_indices'):
        neck.forward_global([torch.randn(2, 8, 2, 2)])
    with pytest.raises(ValueError, match='num_patches=9'):
        neck.forward_local(
            [torch.randn(10, 8, 2, 2),
             torch.randn(10, 16, 1, 1)])
