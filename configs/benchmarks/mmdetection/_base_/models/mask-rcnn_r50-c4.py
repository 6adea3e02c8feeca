# Mask R-CNN R50-C4: the Faster R-CNN R50-C4 of ./faster-rcnn_r50-c4.py
# with MMDetection's C4 mask head (on the res5 features of the RoIs; the
# authors' coco_R_50_C4_2x.yaml: MASK_ON, detectron2's C4 mask head of no
# conv and one deconv, 14x14 masks). Anchors crossing the image border are
# kept for the RPN (BOUNDARY_THRESH -1, the base's allowed_border=-1).
_base_ = './faster-rcnn_r50-c4.py'

model = dict(
    type='MaskRCNN',
    data_preprocessor=dict(pad_mask=True),
    roi_head=dict(
        mask_roi_extractor=None,
        mask_head=dict(
            type='FCNMaskHead',
            num_convs=0,
            in_channels=2048,
            conv_out_channels=256,
            num_classes=80,
            loss_mask=dict(
                type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=14)),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
