# Faster R-CNN R50-C4 as the MoCo/DetCo detectron2 benchmarks
# (Base-RCNN-C4-BN.yaml): res2-res4 in the backbone, res5 as the RoI shared
# head followed by an extra norm layer (`ResLayerExtraNorm`, the authors'
# Res5ROIHeadsExtraNorm), SyncBN everywhere (RESNETS.NORM), nothing frozen
# (FREEZE_AT 0), RGB input with ImageNet mean/std; RPN test proposals 6000
# before and 1000 after NMS.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py',
    './detco_resnet50.py',
]

norm_cfg = {{_base_.sync_bn}}
model = dict(
    data_preprocessor={{_base_.rgb_preprocessor}},
    backbone={{_base_.resnet_overrides}},
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            depth=50,
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=False,
            # The shared head holds res5 as `layer4.*`. With the prefix
            # `backbone.` its `layer4.*` keys load from the checkpoint's
            # `backbone.layer4.*` (the other stages are not in the head and
            # are skipped); the extra `norm` is new, initialised as BN.
            init_cfg={{_base_.detco_init}})))
# the run stops if the pre-trained weights did not load; precise BN after
# the last iteration (detco_resnet50.py)
custom_hooks = [{{_base_.backbone_and_res5_check}}, {{_base_.precise_bn}}]
