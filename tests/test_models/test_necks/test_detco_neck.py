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
    # the same as the MLP on the concatenation in patch order, / sqrt(9)
    expected = neck.local_mlps[0](feats.flatten(1).reshape(2, 36) / 3)
    torch.testing.assert_close(ref,
                               torch.nn.functional.normalize(expected, dim=1))
    literal = DetCoNeck(in_channels=(4, ), scale_local_input=False)
    expected = literal.local_mlps[0](feats.flatten(1).reshape(2, 36))
    torch.testing.assert_close(
        literal.forward_local([feats])[0],
        torch.nn.functional.normalize(expected, dim=1))


@pytest.mark.parametrize('scale,local_hid', [(True, None), (False, None),
                                             (True, (36, 72))])
def test_global_init_starts_local_mlp_as_global_mlp_of_the_mean_patch(
        scale, local_hid):
    torch.manual_seed(0)
    neck = DetCoNeck(
        in_channels=(4, 8),
        scale_local_input=scale,
        local_hid_channels=local_hid)
    neck.init_weights()
    feats = [torch.randn(18, 4, 2, 2), torch.randn(18, 8, 1, 1)]
    local = neck.forward_local(feats)
    mean_patch = [f.mean(dim=(2, 3)).reshape(2, 9, -1).mean(1) for f in feats]
    expected = [
        torch.nn.functional.normalize(mlp(x), dim=1)
        for mlp, x in zip(neck.global_mlps, mean_patch)
    ]
    for out, exp in zip(local, expected):
        torch.testing.assert_close(out, exp, rtol=1e-4, atol=1e-5)
    # so the embedding does not depend on the order of the patches
    shuffled = [
        f.reshape(2, 9, *f.shape[1:])[:, torch.randperm(9)].flatten(0, 1)
        for f in feats
    ]
    for out, ref in zip(neck.forward_local(shuffled), local):
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    # the weights start equal but are not shared
    assert neck.local_mlps[0][2].weight is not neck.global_mlps[0][2].weight
    neck.local_mlps[0][2].weight.data += 1
    assert not torch.equal(neck.local_mlps[0][2].weight,
                           neck.global_mlps[0][2].weight)


def test_wider_local_hidden_layer():
    """The paper's 9 * C alternative: only the local MLPs widen; their
    extra units start disconnected from the output but receive gradients."""
    torch.manual_seed(0)
    neck = DetCoNeck(in_channels=(4, 8), local_hid_channels=(36, 72))
    neck.init_weights()
    assert [m[0].out_features for m in neck.local_mlps] == [36, 72]
    assert [m[0].out_features for m in neck.global_mlps] == [4, 8]
    assert not neck.local_mlps[1][2].weight[:, 8:].any()
    feats = [torch.randn(18, 4, 2, 2), torch.randn(18, 8, 1, 1)]
    sum(x.sum() for x in neck.forward_local(feats)).backward()
    assert neck.local_mlps[1][2].weight.grad[:, 8:].abs().sum() > 0
    assert DetCoNeck((8, 16), local_hid_channels=4,
                     local_init='default').local_mlps[1][0].out_features == 4


def test_default_init_is_independent_of_the_global_mlps():
    torch.manual_seed(0)
    neck = DetCoNeck(in_channels=(4, ), local_init='default')
    before = neck.local_mlps[0][0].weight.clone()
    neck.init_weights()
    torch.testing.assert_close(neck.local_mlps[0][0].weight, before)
    feats = torch.randn(18, 4, 1, 1)
    swapped = feats.clone()
    swapped[[0, 1]] = feats[[1, 0]]
    assert not torch.allclose(
        neck.forward_local([feats])[0][0],
        neck.forward_local([swapped])[0][0])


def test_errors_name_the_mismatch():
    with pytest.raises(ValueError, match='local_init'):
        DetCoNeck(in_channels=(8, ), local_init='shared')
    with pytest.raises(ValueError, match='local_hid_channels'):
        DetCoNeck(in_channels=(8, ), local_hid_channels=4)
    with pytest.raises(ValueError, match='local_hid_channels'):
        DetCoNeck(in_channels=(8, 16), local_hid_channels=(72, ))
    neck = DetCoNeck(in_channels=(8, 16))
    with pytest.raises(ValueError, match='out_indices'):
        neck.forward_global([torch.randn(2, 8, 2, 2)])
    with pytest.raises(ValueError, match='num_patches=9'):
        neck.forward_local(
            [torch.randn(10, 8, 2, 2),
             torch.randn(10, 16, 1, 1)])


def test_without_local_builds_and_returns_no_local_branch():
    neck = DetCoNeck(in_channels=(8, 16), out_channels=5, with_local=False)
    assert len(neck.local_mlps) == 0
    assert not any('local' in name for name in neck.state_dict())
    neck.init_weights()  # local_init='global' has nothing to start
    global_feats = [torch.randn(3, 8, 6, 6), torch.randn(3, 16, 3, 3)]
    g, l_ = neck(global_feats)
    assert [x.shape for x in g] == [torch.Size([3, 5])] * 2
    assert l_ == []
    with pytest.raises(ValueError, match='with_local=False'):
        neck(global_feats, [torch.randn(27, 8, 2, 2)])
    with pytest.raises(RuntimeError, match='with_local=False'):
        neck.forward_local([torch.randn(27, 8, 2, 2)])
    with pytest.raises(ValueError, match='with_local=True'):
        DetCoNeck(in_channels=(8, 16))(global_feats)
