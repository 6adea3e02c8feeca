# COCO person keypoints, Keypoint R-CNN R50-FPN (detectron2's
# COCO-Keypoints/keypoint_rcnn_R_50_FPN, 2x schedule: 180k iterations, steps
# 120k/160k), fine-tuned from a DetCo backbone; keypoint AP
# (coco/keypoints_AP, the AP^kp of the papers) and person box AP
# (coco/bbox_mAP) on val2017.
#
# MMDetection 3.3 has no Keypoint R-CNN: the keypoint parts come from
# mmdetco.det (which needs mmdet, hence its own import below):
# - KeypointRoIHead: the R50-FPN detector of ../_base_/models/
#   faster-rcnn_r50_fpn.py (SyncBN in the backbone and the FPN, norm-free
#   2fc box head, DetCo-initialised backbone) plus detectron2's keypoint
#   branch (RoIAlign 14x14, 8 convs of 512, deconv and x2 upsampling to 17
#   heatmaps of 56x56, cross entropy over the heatmap positions, normalised
#   by the visible keypoints), trained on the positive proposals that hold
#   a visible keypoint of their ground truth (detectron2's
#   select_proposals_with_visible_keypoints) and predicted on the final
#   boxes;
# - CocoKeypointDataset, LoadKeypointAnnotations, ResizeKeypoints,
#   FlipKeypoints (left/right joints swapped), PackKeypointDetInputs;
# - CocoKeypointMetric: COCOeval(iouType='keypoints').
# As the authors' keypoint_rcnn_R_50_FPN_2x.yaml and detectron2's
# Base-Keypoint-RCNN-FPN.yaml: 1500 RPN proposals per training image, a
# smooth L1 box loss with beta 0.5, FREEZE_AT 0, SyncBN, precise BN; images
# without a visible keypoint are not trained on (MIN_KEYPOINTS_PER_IMAGE 1).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_person_ms.py',
    '../_base_/schedules/schedule_2x.py',
    '../_base_/default_runtime.py',
]

custom_imports = dict(
    imports=['mmdetco', 'mmdetco.det', 'mmpretrain.models'],
    allow_failed_imports=False)

model = dict(
    roi_head=dict(
        type='KeypointRoIHead',
        visible_keypoint_proposals=True,
        bbox_head=dict(
            num_classes=1,
            loss_bbox=dict(type='SmoothL1Loss', beta=0.5, loss_weight=1.0)),
        keypoint_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        keypoint_head=dict(
            type='KeypointRCNNHead',
            num_keypoints=17,
            in_channels=256,
            conv_out_channels=512,
            num_convs=8,
            roi_feat_size=14,
            loss_weight=1.0)),
    train_cfg=dict(rpn_proposal=dict(max_per_img=1500)))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='LoadKeypointAnnotations', num_keypoints=17),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='ResizeKeypoints'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='FlipKeypoints'),
    dict(type='PackKeypointDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        type='CocoKeypointDataset',
        min_keypoints_per_image=1,
        pipeline=train_pipeline))

# (a literal: `{{_base_.data_root}} + '...'`, as in coco_person_ms.py,
# is left unresolved by mmengine, e.g. '_data_root_0f124aannotations/...')
val_ann_file = 'data/coco/annotations/person_keypoints_val2017.json'
val_evaluator = [
    dict(
        type='CocoMetric',
        ann_file=val_ann_file,
        metric='bbox',
        format_only=False,
        backend_args={{_base_.backend_args}}),
    dict(
        type='CocoKeypointMetric',
        ann_file=val_ann_file,
        backend_args={{_base_.backend_args}})
]
test_evaluator = val_evaluator
