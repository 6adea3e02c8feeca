# Copyright (c) mmdetco contributors. All rights reserved.
"""FPNPlainExtraConvs: detectron2's RetinaNet FPN (P6/P7 without norm)."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

import mmdetco.det  # noqa: F401  (registers the modules)

IN_CHANNELS = [4, 8, 16]  # C3-C5

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def _cfg(neck_type='FPNPlainExtraConvs', **kwargs):
    cfg = dict(
        type=neck_type,
        in_channels=IN_CHANNELS,
        out_channels=6,
        start_level=0,
        add_extra_convs='on_input',
        relu_before_extra_convs=True,
        num_outs=5,
        norm_cfg=dict(type='BN', requires_grad=True))
    cfg.update(kwargs)
    return cfg


def _inputs():
    torch.manual_seed(0)
    return tuple(
        torch.randn(2, c, s, s) for c, s in zip(IN_CHANNELS, (32, 16, 8)))


def test_extra_convs_are_plain():
    neck = MODELS.build(_cfg())
    assert len(neck.fpn_convs) == 5
    for conv in list(neck.lateral_convs) + list(neck.fpn_convs[:3]):
        assert conv.with_norm and conv.norm is not None
        assert conv.conv.bias is None
    for i, conv in enumerate(neck.fpn_convs[3:]):
        assert not conv.with_norm and conv.norm is None
        assert not conv.with_activation  # FPN's act_cfg=None
        assert conv.conv.bias is not None
        assert conv.conv.stride == (2, 2)
        assert conv.conv.in_channels == (IN_CHANNELS[-1] if i == 0 else 6)
    assert not any('fpn_convs.3.bn' in k or 'fpn_convs.4.bn' in k
                   for k in neck.state_dict())


def test_outputs_match_fpn_and_hand_computed_p6_p7():
    neck = MODELS.build(_cfg()).eval()
    neck.init_weights()
    fpn = MODELS.build(_cfg('FPN')).eval()
    # the backbone levels are FPN's: same weights give the same P3-P5
    fpn.lateral_convs.load_state_dict(neck.lateral_convs.state_dict())
    fpn.fpn_convs[:3].load_state_dict(neck.fpn_convs[:3].state_dict())
    inputs = _inputs()
    with torch.no_grad():
        outs, ref = neck(inputs), fpn(inputs)
    assert [o.shape for o in outs] == [o.shape for o in ref]
    assert [tuple(o.shape[2:]) for o in outs] == [(32, 32), (16, 16), (8, 8),
                                                  (4, 4), (2, 2)]
    for out, expected in zip(outs[:3], ref[:3]):
        torch.testing.assert_close(out, expected)
    # P6 = conv(C5), P7 = conv(relu(P6)), 3x3 stride 2, with bias
    conv6, conv7 = neck.fpn_convs[3].conv, neck.fpn_convs[4].conv
    p6 = F.conv2d(inputs[-1], conv6.weight, conv6.bias, stride=2, padding=1)
    p7 = F.conv2d(F.relu(p6), conv7.weight, conv7.bias, stride=2, padding=1)
    torch.testing.assert_close(outs[3], p6)
    torch.testing.assert_close(outs[4], p7)


def test_without_norm_is_fpn():
    neck = MODELS.build(_cfg(norm_cfg=None))
    fpn = MODELS.build(_cfg('FPN', norm_cfg=None))
    assert neck.state_dict().keys() == fpn.state_dict().keys()
    fpn.load_state_dict(neck.state_dict())
    inputs = _inputs()
    for out, expected in zip(neck(inputs), fpn(inputs)):
        torch.testing.assert_close(out, expected)
