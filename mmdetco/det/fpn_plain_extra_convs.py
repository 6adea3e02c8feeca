# Copyright (c) mmdetco contributors. All rights reserved.
"""An FPN whose extra levels (RetinaNet's P6, P7) have no norm layer."""
from mmcv.cnn import ConvModule
from mmdet.models.necks import FPN
from mmdet.registry import MODELS


@MODELS.register_module()
class FPNPlainExtraConvs(FPN):
    """:class:`mmdet.models.necks.FPN` with plain extra convolutions.

    The extra output convolutions (built with ``add_extra_convs``) are
    convolutions with bias and without a norm layer, even if ``norm_cfg``
    is set; the lateral and output convolutions of the backbone levels keep
    the norm. With ``add_extra_convs='on_input'`` and
    ``relu_before_extra_convs=True`` this is detectron2's RetinaNet FPN
    with ``FPN.NORM`` set: ``LastLevelP6P7`` computes P6 by a 3x3 stride 2
    convolution of C5 and P7 by one of ``relu(P6)``, without norm.

    Args:
        *args: Arguments of :class:`mmdet.models.necks.FPN`.
        **kwargs: Keyword arguments of :class:`mmdet.models.necks.FPN`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        first_extra = self.backbone_end_level - self.start_level
        for i in range(first_extra, len(self.fpn_convs)):
            conv = self.fpn_convs[i]
            self.fpn_convs[i] = ConvModule(
                conv.in_channels,
                conv.out_channels,
                conv.kernel_size,
                stride=conv.stride,
                padding=conv.padding,
                conv_cfg=conv.conv_cfg,
                norm_cfg=None,
                act_cfg=conv.act_cfg,
                inplace=False)
