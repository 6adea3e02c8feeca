# PASCAL VOC: trained on VOC2007 trainval + VOC2012 trainval, tested on
# VOC2007 test, read from the original XML files (no conversion needed).
# Layout: data/VOCdevkit/VOC2007/{Annotations,ImageSets,JPEGImages}/ and
# data/VOCdevkit/VOC2012/{Annotations,ImageSets,JPEGImages}/.
#
# Multi-scale training as detectron2's VOC configs (MoCo, DetCo): shorter
# side drawn from 480, 512, ..., 800 (longer side at most 1333); tests at
# (1333, 800). Boxes marked `difficult` are ground truth in training, as
# in detectron2's VOC loader (DifficultAsGTVOCDataset of mmdetco.det;
# MMDetection's VOCDataset would ignore them), and ignored in evaluation as
# the VOC protocol says. As in detectron2, small boxes are not turned into
# ignored ones (no `bbox_min_size`).
#
# Evaluation reports, on VOC2007 test:
# - `pascal_voc/mAP`, `pascal_voc/AP50`, `pascal_voc/AP75`: the VOC
#   protocol (11-point interpolated AP, difficult boxes ignored, legacy +1
#   box coordinates) at IoU 0.50:0.05:0.95, averaged over the IoUs for
#   `mAP`. This is what detectron2's PascalVOCDetectionEvaluator reports as
#   AP / AP50 / AP75, i.e. the numbers of the DetCo and MoCo papers;
#   `pascal_voc/AP50` alone is the classic VOC07 11-point mAP.
# - `coco/bbox_mAP`, `coco/bbox_mAP_50`, `coco/bbox_mAP_75`, ...: the
#   COCO-style AP (pycocotools, 101-point, difficult boxes as crowd
#   regions), from the ground truth of the same XML files: CocoMetric
#   converts it on the fly (`ann_file=None`; the raw `instances` are packed
#   with the test samples for it). The same numbers are obtained from a
#   json converted with MMDetection's
#   `tools/dataset_converters/pascal_voc.py data/VOCdevkit -o
#   data/VOCdevkit/annotations --out-format coco` (voc07_test.json) as the
#   `ann_file` of CocoMetric on a CocoDataset over that json; the XML route
#   needs no extra files.
_base_ = 'mmdet::_base_/datasets/voc0712.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 480), (1333, 512), (1333, 544), (1333, 576),
                (1333, 608), (1333, 640), (1333, 672), (1333, 704),
                (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    # after Resize: the boxes stay in the original image coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        # `instances`: the ground truth that CocoMetric converts
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]

voc_train_type = 'DifficultAsGTVOCDataset'
voc_train_filter = dict(filter_empty_gt=True, min_size=32)
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        # VOCDataset sets `dataset_type` (VOC2007/VOC2012) in its metainfo,
        # which differs between the two parts
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type=voc_train_type,
                data_root={{_base_.data_root}},
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2007/'),
                filter_cfg=voc_train_filter,
                pipeline=train_pipeline,
                backend_args={{_base_.backend_args}}),
            dict(
                type=voc_train_type,
                data_root={{_base_.data_root}},
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2012/'),
                filter_cfg=voc_train_filter,
                pipeline=train_pipeline,
                backend_args={{_base_.backend_args}})
        ]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(
        type='VOCMetric',
        metric='mAP',
        eval_mode='11points',
        iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]),
    dict(type='CocoMetric', ann_file=None, metric='bbox')
]
test_evaluator = val_evaluator
