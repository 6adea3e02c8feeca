# Copyright (c) mmdetco contributors. All rights reserved.
"""The DetCo authors' benchmark protocol, field by field.

``PROTOCOL`` pins every field of the resolved benchmark configs that the
authors' detectron2 configs set (``xieenze/DetCo``,
``benchmarks/detection/configs``; ``train_net.py`` beside them), with the
detectron2 defaults they inherit (``detectron2/config/defaults.py``, the
RetinaNet and RoI-head code), and of the linear probe (MMPretrain's MoCo v2
linear config). docs/en/benchmarks.md shows the same table.
"""
import glob
import os.path as osp

import pytest

from ..conftest import ROOT
from .helpers import DET_CONFIGS, config_path, load_config

C4_COCO = tuple(f'coco/mask-rcnn_r50-c4_ms-{s}_coco.py'
                for s in ('12k', '1x', '2x'))
VOC = ('voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py', )
FPN_COCO = tuple(f'coco/mask-rcnn_r50_fpn_ms-{s}_coco.py'
                 for s in ('12k', '1x', '2x'))
RETINA_MS = tuple(f'coco/retinanet_r50_fpn_ms-{s}_coco.py'
                  for s in ('12k', '1x', '2x'))
RETINA_SEMI = tuple(f'coco/retinanet_r50_fpn_12k_coco-{p}pct.py'
                    for p in (1, 2, 5, 10))
KEYPOINT = ('coco/keypoint-rcnn_r50_fpn_ms-2x_coco.py', )
CITYSCAPES = ('cityscapes/mask-rcnn_r50_fpn_24k_cityscapes.py', )
LINEAR = ('../classification/imagenet/'
          'resnet50_linear-8xb32-steplr-100e_in1k.py', )
# the paper's rows measured with other authors' protocols
SPARSE = ('coco/sparse-rcnn_r50_fpn_300-proposals_crop-ms-3x_coco.py', )
SEG = ('../mmsegmentation/cityscapes/'
       'fcn-d6_r50b-d16_8xb2-90k_cityscapes-769x769.py', )

C4 = C4_COCO + VOC
RETINA = RETINA_MS + RETINA_SEMI
RCNN_FPN = FPN_COCO + KEYPOINT + CITYSCAPES
DET = C4 + RCNN_FPN + RETINA

#: the configs each row of ``PROTOCOL`` applies to, by the label it shows
GROUPS = {
    'all detection': DET,
    'multi-scale detection': C4 + RCNN_FPN + RETINA_MS,
    'COCO, VOC': C4 + FPN_COCO + KEYPOINT + RETINA,
    'C4': C4,
    'COCO C4': C4_COCO,
    'VOC': VOC,
    'R-CNN FPN': RCNN_FPN,
    'COCO Mask R-CNN FPN, Cityscapes': FPN_COCO + CITYSCAPES,
    'COCO Mask R-CNN FPN, keypoints': FPN_COCO + KEYPOINT,
    'keypoints': KEYPOINT,
    'Cityscapes': CITYSCAPES,
    'RetinaNet': RETINA,
    'RetinaNet ms': RETINA_MS,
    'RetinaNet 12k, 1-10 %': RETINA_MS[:1] + RETINA_SEMI,
    'linear probe': LINEAR,
    'Sparse R-CNN': SPARSE,
    'Cityscapes FCN-16s': SEG,
    **{
        f'{model} {schedule}': (configs[i], )
        for model, configs in (('COCO C4', C4_COCO),
                               ('COCO Mask R-CNN FPN', FPN_COCO))
        for i, schedule in enumerate(('12k', '1x', '2x'))
    },
    'RetinaNet ms 1x': RETINA_MS[1:2],
    'RetinaNet ms 2x': RETINA_MS[2:],
}

# the authors' files (benchmarks/detection/configs/...) and detectron2's
D2 = 'detectron2 defaults.py'
C4_BASE = 'Base-RCNN-C4-BN.yaml'
FPN_BASE = 'Base-RCNN-FPN.yaml'
RETINA_BASE = 'Base-RetinaNet.yaml'
MOCO = '*_moco.yaml'
BACKBONE_FILES = ('Base-RCNN-C4-BN.yaml, coco_R_50_{FPN,RetinaNet}_1x.yaml, '
                  'keypoint_rcnn_R_50_FPN_2x.yaml, '
                  'Cityscapes/mask_rcnn_R_50_FPN.yaml')
LINEAR_SOURCE = ('mmpretrain::mocov2/benchmarks/'
                 'resnet50_8xb32-linear-steplr-100e_in1k.py')
# PeizeSun/SparseR-CNN projects/SparseRCNN/configs/
SPARSE_BASE = 'SparseR-CNN Base-SparseRCNN.yaml'
SPARSE_DETCO = 'SparseR-CNN sparsercnn.res50.300pro.3x.detco.yaml'
MOCO_SEG = 'MoCo paper, appendix A.5 (the DetCo paper: FCN-16s as MoCo)'


def _schedule(group, max_iters, steps, source):
    return [(group, 'train_cfg.max_iters', max_iters,
             f'{source}: SOLVER.MAX_ITER'),
            (group, 'lr steps', steps, f'{source}: SOLVER.STEPS')]


def _scales(group, shorts, max_size, source):
    return [(group, 'train short sides', shorts,
             f'{source}: INPUT.MIN_SIZE_TRAIN'),
            (group, 'train max size', max_size,
             f'{source}: INPUT.MAX_SIZE_TRAIN')]


COCO_SHORTS = [640, 672, 704, 736, 768, 800]

#: (group, field, expected value, source): ``group`` a key of ``GROUPS``,
#: ``field`` a dotted path in the resolved config or a name in ``DERIVED``
PROTOCOL = [
    # every detection benchmark
    ('all detection', 'model.data_preprocessor.mean',
     [123.675, 116.28, 103.53], f'{MOCO}: MODEL.PIXEL_MEAN'),
    ('all detection', 'model.data_preprocessor.std', [58.395, 57.12, 57.375],
     f'{MOCO}: MODEL.PIXEL_STD'),
    ('all detection', 'model.data_preprocessor.bgr_to_rgb', True,
     f'{MOCO}: INPUT.FORMAT RGB'),
    ('all detection', 'model.backbone.style', 'pytorch',
     f'{MOCO}: RESNETS.STRIDE_IN_1X1 False'),
    ('all detection', 'model.backbone.depth', 50, f'{D2}: RESNETS.DEPTH'),
    ('all detection', 'model.backbone.frozen_stages', -1,
     f'{BACKBONE_FILES}: BACKBONE.FREEZE_AT 0'),
    ('all detection', 'model.backbone.norm_cfg.type', 'SyncBN',
     f'{BACKBONE_FILES}: RESNETS.NORM'),
    ('all detection', 'model.backbone.norm_eval', False,
     f'{BACKBONE_FILES}: RESNETS.NORM (not FrozenBN)'),
    ('all detection', 'load_from', None,
     f'{MOCO}: MODEL.WEIGHTS (the backbone only)'),
    ('all detection', 'optim_wrapper.optimizer.type', 'SGD', f'{D2}: SOLVER'),
    ('all detection', 'optim_wrapper.optimizer.momentum', 0.9,
     f'{D2}: SOLVER.MOMENTUM'),
    ('all detection', 'optim_wrapper.optimizer.weight_decay', 1e-4,
     f'{D2}: SOLVER.WEIGHT_DECAY'),
    ('all detection', 'optim_wrapper.paramwise_cfg.norm_decay_mult', 0.,
     f'{D2}: SOLVER.WEIGHT_DECAY_NORM'),
    ('all detection', 'warm-up start factor', 0.001,
     f'{D2}: SOLVER.WARMUP_FACTOR'),
    ('all detection', 'lr gamma', 0.1, f'{D2}: SOLVER.GAMMA'),
    ('all detection', 'precise BN iterations', 200,
     f'{BACKBONE_FILES}: TEST.PRECISE_BN.ENABLED; {D2}: NUM_ITER'),
    ('multi-scale detection', 'train resize', 'RandomChoiceResize',
     f'{D2}: INPUT.MIN_SIZE_TRAIN_SAMPLING choice'),
    ('all detection', 'train flip prob', 0.5,
     f'{D2}: INPUT.RANDOM_FLIP horizontal'),
    ('COCO, VOC', 'test scale', (1333, 800),
     f'{D2}: INPUT.MIN_SIZE_TEST, MAX_SIZE_TEST'),

    # C4: COCO Mask R-CNN and VOC Faster R-CNN
    ('C4', 'model.roi_head.shared_head.type', 'ResLayerExtraNorm',
     f'{C4_BASE}: ROI_HEADS.NAME Res5ROIHeadsExtraNorm'),
    ('C4', 'model.roi_head.shared_head.norm_cfg.type', 'SyncBN',
     f'{C4_BASE}: RESNETS.NORM'),
    ('C4', 'model.roi_head.shared_head.norm_eval', False,
     f'{C4_BASE}: RESNETS.NORM'),
    ('C4', 'model.roi_head.bbox_roi_extractor.roi_layer.output_size', 14,
     f'{D2}: ROI_BOX_HEAD.POOLER_RESOLUTION'),
    ('C4', 'model.train_cfg.rpn.allowed_border', -1,
     f'{D2}: RPN.BOUNDARY_THRESH'),
    ('C4', 'model.train_cfg.rpn_proposal.nms_pre', 12000,
     f'{D2}: RPN.PRE_NMS_TOPK_TRAIN'),
    ('C4', 'model.train_cfg.rpn_proposal.max_per_img', 2000,
     f'{D2}: RPN.POST_NMS_TOPK_TRAIN'),
    ('C4', 'model.test_cfg.rpn.nms_pre', 6000,
     f'{C4_BASE}: RPN.PRE_NMS_TOPK_TEST'),
    ('C4', 'model.test_cfg.rpn.max_per_img', 1000,
     f'{C4_BASE}: RPN.POST_NMS_TOPK_TEST'),
    ('C4', 'model.train_cfg.rcnn.assigner.match_low_quality', False,
     'detectron2 roi_heads.py: allow_low_quality_matches=False'),
    ('C4', 'train_dataloader.batch_size', 2,
     f'{C4_BASE}: SOLVER.IMS_PER_BATCH 16 (8 GPUs)'),
    ('C4', 'optim_wrapper.optimizer.lr', 0.02, f'{C4_BASE}: SOLVER.BASE_LR'),
    ('COCO C4', 'warm-up iterations', 1000, f'{D2}: SOLVER.WARMUP_ITERS'),
    ('COCO C4', 'model.roi_head.mask_head.num_convs', 0,
     f'{D2}: ROI_MASK_HEAD.NUM_CONV'),
    ('COCO C4', 'model.train_cfg.rcnn.mask_size', 14,
     f'{D2}: ROI_MASK_HEAD.POOLER_RESOLUTION 14 (7 x 7 res5, x2)'),
    *_scales('COCO C4', COCO_SHORTS, 1200,
             'coco_R_50_C4_2x.yaml, coco_R_50_C4_2x_moco.yaml'),
    *_schedule('COCO C4 12k', 12000, [9000, 11000], 'coco_R_50_C4_12k.yaml'),
    *_schedule('COCO C4 1x', 90000, [60000, 80000], 'coco_R_50_C4_1x.yaml'),
    *_schedule('COCO C4 2x', 180000, [120000, 160000], 'coco_R_50_C4_2x.yaml'),

    # VOC
    ('VOC', 'model.roi_head.bbox_head.num_classes', 20,
     'pascal_voc_R_50_C4_24k.yaml: ROI_HEADS.NUM_CLASSES'),
    ('VOC', 'voc train dataset', 'DifficultAsGTVOCDataset',
     'detectron2 pascal_voc.py: difficult boxes are trained on'),
    *_scales('VOC', list(range(480, 801, 32)), 1333,
             'pascal_voc_R_50_C4_24k.yaml; defaults.py'),
    *_schedule('VOC', 24000, [18000, 22000], 'pascal_voc_R_50_C4_24k.yaml'),
    ('VOC', 'warm-up iterations', 100,
     'pascal_voc_R_50_C4_24k.yaml: SOLVER.WARMUP_ITERS'),

    # FPN R-CNNs: COCO Mask R-CNN, keypoints, Cityscapes
    ('R-CNN FPN', 'model.neck.norm_cfg.type', 'SyncBN', 'FPN.NORM SyncBN'),
    ('R-CNN FPN', 'model.roi_head.bbox_head.type', 'Shared2FCBBoxHead',
     f'{FPN_BASE}: ROI_BOX_HEAD FastRCNNConvFCHead, NUM_FC 2'),
    ('R-CNN FPN', 'model.roi_head.bbox_head.norm_cfg', None,
     f'{D2}: ROI_BOX_HEAD.NORM ""'),
    ('R-CNN FPN', 'model.roi_head.bbox_roi_extractor.roi_layer.output_size', 7,
     f'{FPN_BASE}: ROI_BOX_HEAD.POOLER_RESOLUTION'),
    ('R-CNN FPN', 'model.train_cfg.rpn_proposal.nms_pre', 2000,
     f'{FPN_BASE}: RPN.PRE_NMS_TOPK_TRAIN'),
    ('R-CNN FPN', 'model.test_cfg.rpn.nms_pre', 1000,
     f'{FPN_BASE}: RPN.PRE_NMS_TOPK_TEST'),
    ('R-CNN FPN', 'model.test_cfg.rpn.max_per_img', 1000,
     f'{FPN_BASE}: RPN.POST_NMS_TOPK_TEST'),
    ('R-CNN FPN', 'model.train_cfg.rpn.allowed_border', -1,
     f'{D2}: RPN.BOUNDARY_THRESH'),
    ('R-CNN FPN', 'model.train_cfg.rcnn.assigner.match_low_quality', False,
     'detectron2 roi_heads.py: allow_low_quality_matches=False'),
    ('COCO Mask R-CNN FPN, Cityscapes',
     'model.train_cfg.rpn_proposal.max_per_img', 1000,
     f'{FPN_BASE}: RPN.POST_NMS_TOPK_TRAIN'),
    ('COCO Mask R-CNN FPN, Cityscapes', 'model.roi_head.mask_head.num_convs',
     4, f'{FPN_BASE}: ROI_MASK_HEAD.NUM_CONV'),
    ('COCO Mask R-CNN FPN, Cityscapes', 'model.roi_head.mask_head.norm_cfg',
     None, f'{D2}: ROI_MASK_HEAD.NORM ""'),
    ('COCO Mask R-CNN FPN, keypoints', 'train_dataloader.batch_size', 2,
     f'{FPN_BASE}: SOLVER.IMS_PER_BATCH 16 (8 GPUs)'),
    ('COCO Mask R-CNN FPN, keypoints', 'optim_wrapper.optimizer.lr', 0.02,
     f'{FPN_BASE}: SOLVER.BASE_LR'),
    ('COCO Mask R-CNN FPN, keypoints', 'warm-up iterations', 1000,
     f'{D2}: SOLVER.WARMUP_ITERS'),
    *_scales('COCO Mask R-CNN FPN, keypoints', COCO_SHORTS, 1333,
             f'{FPN_BASE}; {D2}'),
    *_schedule('COCO Mask R-CNN FPN 12k', 12000, [9000, 11000],
               'coco_R_50_FPN_12k.yaml'),
    *_schedule('COCO Mask R-CNN FPN 1x', 90000, [60000, 80000],
               'coco_R_50_FPN_1x.yaml'),
    *_schedule('COCO Mask R-CNN FPN 2x', 180000, [120000, 160000],
               'coco_R_50_FPN_2x.yaml'),

    # keypoints
    ('keypoints', 'model.roi_head.bbox_head.num_classes', 1,
     'Base-Keypoint-RCNN-FPN.yaml: ROI_HEADS.NUM_CLASSES'),
    ('keypoints', 'model.roi_head.bbox_head.loss_bbox.beta', 0.5,
     'Base-Keypoint-RCNN-FPN.yaml: ROI_BOX_HEAD.SMOOTH_L1_BETA'),
    ('keypoints', 'model.train_cfg.rpn_proposal.max_per_img', 1500,
     'Base-Keypoint-RCNN-FPN.yaml: RPN.POST_NMS_TOPK_TRAIN'),
    ('keypoints', 'model.roi_head.keypoint_head.num_convs', 8,
     f'{D2}: ROI_KEYPOINT_HEAD.CONV_DIMS (512,) * 8'),
    ('keypoints', 'model.roi_head.keypoint_head.conv_out_channels', 512,
     f'{D2}: ROI_KEYPOINT_HEAD.CONV_DIMS'),
    ('keypoints',
     'model.roi_head.keypoint_roi_extractor.roi_layer.output_size', 14,
     f'{D2}: ROI_KEYPOINT_HEAD.POOLER_RESOLUTION'),
    ('keypoints', 'model.roi_head.visible_keypoint_proposals', True,
     'detectron2 roi_heads.py: select_proposals_with_visible_keypoints'),
    ('keypoints', 'train_dataloader.dataset.min_keypoints_per_image', 1,
     f'{D2}: ROI_KEYPOINT_HEAD.MIN_KEYPOINTS_PER_IMAGE'),
    *_schedule('keypoints', 180000, [120000, 160000],
               'keypoint_rcnn_R_50_FPN_2x.yaml'),

    # Cityscapes
    ('Cityscapes', 'model.roi_head.bbox_head.num_classes', 8,
     'Cityscapes/mask_rcnn_R_50_FPN.yaml: ROI_HEADS.NUM_CLASSES'),
    ('Cityscapes', 'model.roi_head.mask_head.num_classes', 8,
     'Cityscapes/mask_rcnn_R_50_FPN.yaml: ROI_HEADS.NUM_CLASSES'),
    ('Cityscapes', 'train_dataloader.batch_size', 1,
     'Cityscapes/mask_rcnn_R_50_FPN.yaml: SOLVER.IMS_PER_BATCH 8 (8 GPUs)'),
    ('Cityscapes', 'optim_wrapper.optimizer.lr', 0.01,
     'Cityscapes/mask_rcnn_R_50_FPN.yaml: SOLVER.BASE_LR'),
    ('Cityscapes', 'warm-up iterations', 1000, f'{D2}: SOLVER.WARMUP_ITERS'),
    ('Cityscapes', 'test scale', (2048, 1024),
     'Cityscapes/mask_rcnn_R_50_FPN.yaml: INPUT.MIN_SIZE_TEST, MAX_SIZE_TEST'),
    *_scales('Cityscapes', list(range(800, 1025, 32)), 2048,
             'Cityscapes/mask_rcnn_R_50_FPN.yaml'),
    *_schedule('Cityscapes', 24000, [18000],
               'Cityscapes/mask_rcnn_R_50_FPN.yaml'),

    # RetinaNet
    ('RetinaNet', 'optim_wrapper.optimizer.lr', 0.01,
     f'{RETINA_BASE}: SOLVER.BASE_LR'),
    ('RetinaNet', 'train_dataloader.batch_size', 2,
     f'{RETINA_BASE}: SOLVER.IMS_PER_BATCH 16 (8 GPUs)'),
    ('RetinaNet', 'warm-up iterations', 1000, f'{D2}: SOLVER.WARMUP_ITERS'),
    ('RetinaNet', 'model.neck.type', 'FPNPlainExtraConvs',
     'detectron2 retinanet backbone: LastLevelP6P7 (plain convs)'),
    ('RetinaNet', 'model.neck.norm_cfg.type', 'SyncBN',
     'coco_R_50_RetinaNet_1x.yaml: FPN.NORM'),
    ('RetinaNet', 'model.neck.start_level', 1,
     f'{RETINA_BASE}: FPN.IN_FEATURES res3-res5'),
    ('RetinaNet', 'model.neck.add_extra_convs', 'on_input',
     'detectron2 retinanet backbone: P6 from res5'),
    ('RetinaNet', 'model.neck.relu_before_extra_convs', True,
     'detectron2 LastLevelP6P7: p7 = conv(relu(p6))'),
    ('RetinaNet', 'model.bbox_head.type', 'EMANormRetinaHead',
     'detectron2 retinanet.py: loss_normalizer (running average)'),
    ('RetinaNet', 'model.bbox_head.loss_normalizer_momentum', 0.9,
     'detectron2 retinanet.py: loss_normalizer_momentum'),
    ('RetinaNet', 'model.bbox_head.norm_cfg', None,
     f'{D2}: RETINANET.NORM ""'),
    ('RetinaNet', 'model.bbox_head.stacked_convs', 4,
     f'{D2}: RETINANET.NUM_CONVS'),
    ('RetinaNet', 'model.bbox_head.loss_cls.gamma', 2.0,
     f'{D2}: RETINANET.FOCAL_LOSS_GAMMA'),
    ('RetinaNet', 'model.bbox_head.loss_cls.alpha', 0.25,
     f'{D2}: RETINANET.FOCAL_LOSS_ALPHA'),
    ('RetinaNet', 'model.bbox_head.loss_bbox.type', 'L1Loss',
     f'{RETINA_BASE}: RETINANET.SMOOTH_L1_LOSS_BETA 0.0'),
    ('RetinaNet', 'model.train_cfg.assigner.pos_iou_thr', 0.5,
     f'{RETINA_BASE}: RETINANET.IOU_THRESHOLDS'),
    ('RetinaNet', 'model.train_cfg.assigner.neg_iou_thr', 0.4,
     f'{RETINA_BASE}: RETINANET.IOU_THRESHOLDS'),
    ('RetinaNet', 'model.test_cfg.score_thr', 0.05,
     f'{D2}: RETINANET.SCORE_THRESH_TEST'),
    ('RetinaNet', 'model.test_cfg.nms_pre', 1000,
     f'{D2}: RETINANET.TOPK_CANDIDATES_TEST'),
    ('RetinaNet', 'model.test_cfg.nms.iou_threshold', 0.5,
     f'{D2}: RETINANET.NMS_THRESH_TEST'),
    ('RetinaNet', 'model.test_cfg.max_per_img', 100,
     f'{D2}: TEST.DETECTIONS_PER_IMAGE'),
    *_scales('RetinaNet ms', COCO_SHORTS, 1333, f'{RETINA_BASE}; {D2}'),
    *_schedule('RetinaNet 12k, 1-10 %', 12000, [9000, 11000],
               'coco_R_50_RetinaNet_12k.yaml'),
    *_schedule('RetinaNet ms 1x', 90000, [60000, 80000],
               'coco_R_50_RetinaNet_1x.yaml'),
    *_schedule('RetinaNet ms 2x', 180000, [120000, 160000],
               'coco_R_50_RetinaNet_2x.yaml'),

    # the ImageNet linear probe
    ('linear probe', 'model.backbone.frozen_stages', 4, LINEAR_SOURCE),
    ('linear probe', 'optim_wrapper.optimizer.lr', 30., LINEAR_SOURCE),
    ('linear probe', 'optim_wrapper.optimizer.momentum', 0.9, LINEAR_SOURCE),
    ('linear probe', 'optim_wrapper.optimizer.weight_decay', 0.,
     LINEAR_SOURCE),
    ('linear probe', 'lr steps', [60, 80], LINEAR_SOURCE),
    ('linear probe', 'train_cfg.max_epochs', 100, LINEAR_SOURCE),
    ('linear probe', 'train_dataloader.batch_size', 32, LINEAR_SOURCE),

    # Sparse R-CNN, as the Sparse R-CNN authors ran DetCo
    ('Sparse R-CNN', 'model.data_preprocessor.mean', [123.675, 116.28, 103.53],
     f'{SPARSE_BASE}: MODEL.PIXEL_MEAN'),
    ('Sparse R-CNN', 'model.data_preprocessor.std', [58.395, 57.12, 57.375],
     f'{SPARSE_BASE}: MODEL.PIXEL_STD'),
    ('Sparse R-CNN', 'model.data_preprocessor.bgr_to_rgb', True,
     f'{SPARSE_DETCO}: INPUT.FORMAT RGB'),
    ('Sparse R-CNN', 'model.backbone.style', 'pytorch',
     f'{SPARSE_DETCO}: RESNETS.STRIDE_IN_1X1 False'),
    ('Sparse R-CNN', 'model.backbone.frozen_stages', -1,
     f'{SPARSE_DETCO}: BACKBONE.FREEZE_AT 0'),
    ('Sparse R-CNN', 'model.backbone.norm_cfg.type', 'SyncBN',
     f'{SPARSE_DETCO}: RESNETS.NORM'),
    ('Sparse R-CNN', 'model.backbone.norm_eval', False,
     f'{SPARSE_DETCO}: RESNETS.NORM'),
    ('Sparse R-CNN', 'model.neck.norm_cfg', None, f'{D2}: FPN.NORM ""'),
    ('Sparse R-CNN', 'model.rpn_head.num_proposals', 300,
     f'{SPARSE_DETCO}: SparseRCNN.NUM_PROPOSALS'),
    ('Sparse R-CNN', 'model.roi_head.bbox_roi_extractor.roi_layer.output_size',
     7, f'{SPARSE_BASE}: ROI_BOX_HEAD.POOLER_RESOLUTION'),
    ('Sparse R-CNN',
     'model.roi_head.bbox_roi_extractor.roi_layer.sampling_ratio', 2,
     f'{SPARSE_BASE}: ROI_BOX_HEAD.POOLER_SAMPLING_RATIO'),
    ('Sparse R-CNN', 'optim_wrapper.optimizer.type', 'AdamW',
     f'{SPARSE_BASE}: SOLVER.OPTIMIZER'),
    ('Sparse R-CNN', 'optim_wrapper.optimizer.lr', 2.5e-5,
     f'{SPARSE_BASE}: SOLVER.BASE_LR'),
    ('Sparse R-CNN', 'optim_wrapper.optimizer.weight_decay', 1e-4,
     f'{SPARSE_BASE}: SOLVER.WEIGHT_DECAY'),
    ('Sparse R-CNN', 'optim_wrapper.clip_grad.max_norm', 1,
     f'{SPARSE_BASE}: SOLVER.CLIP_GRADIENTS (full_model, 1.0)'),
    ('Sparse R-CNN', 'train_dataloader.batch_size', 2,
     f'{SPARSE_BASE}: SOLVER.IMS_PER_BATCH 16 (8 GPUs)'),
    ('Sparse R-CNN', 'train_dataloader.dataset.filter_cfg.filter_empty_gt',
     False, f'{SPARSE_BASE}: DATALOADER.FILTER_EMPTY_ANNOTATIONS'),
    ('Sparse R-CNN', 'warm-up start factor', 0.01,
     f'{SPARSE_BASE}: SOLVER.WARMUP_FACTOR'),
    ('Sparse R-CNN', 'warm-up iterations', 1000,
     f'{SPARSE_BASE}: SOLVER.WARMUP_ITERS'),
    *_schedule('Sparse R-CNN', 270000, [210000, 250000], SPARSE_DETCO),
    ('Sparse R-CNN', 'precise BN iterations', 200,
     f'{SPARSE_DETCO}: TEST.PRECISE_BN.ENABLED; {D2}: NUM_ITER'),
    ('Sparse R-CNN', 'train flip prob', 0.5,
     f'{D2}: INPUT.RANDOM_FLIP horizontal'),
    ('Sparse R-CNN', 'test scale', (1333, 800),
     f'{D2}: INPUT.MIN_SIZE_TEST, MAX_SIZE_TEST'),

    # Cityscapes semantic segmentation, MoCo's FCN-16s protocol
    ('Cityscapes FCN-16s', 'model.backbone.depth', 50, MOCO_SEG),
    ('Cityscapes FCN-16s', 'model.backbone.style', 'pytorch', MOCO_SEG),
    ('Cityscapes FCN-16s', 'model.backbone.strides', (1, 2, 2, 1),
     f'{MOCO_SEG}: conv5 stride 1'),
    ('Cityscapes FCN-16s', 'model.backbone.dilations', (1, 1, 1, 2),
     f'{MOCO_SEG}: conv5 dilation 2'),
    ('Cityscapes FCN-16s', 'model.backbone.frozen_stages', -1, MOCO_SEG),
    ('Cityscapes FCN-16s', 'model.backbone.norm_cfg.type', 'SyncBN',
     MOCO_SEG),
    ('Cityscapes FCN-16s', 'model.decode_head.num_convs', 2,
     f'{MOCO_SEG}: two 3x3 convs'),
    ('Cityscapes FCN-16s', 'model.decode_head.channels', 256,
     f'{MOCO_SEG}: 256 channels'),
    ('Cityscapes FCN-16s', 'model.decode_head.dilation', 6,
     f'{MOCO_SEG}: dilation 6'),
    ('Cityscapes FCN-16s', 'model.decode_head.num_classes', 19, MOCO_SEG),
    ('Cityscapes FCN-16s', 'optim_wrapper.optimizer.lr', 0.01, MOCO_SEG),
    ('Cityscapes FCN-16s', 'optim_wrapper.optimizer.weight_decay', 1e-4,
     MOCO_SEG),
    ('Cityscapes FCN-16s', 'train_dataloader.batch_size', 2,
     f'{MOCO_SEG}: batch 16 (8 GPUs)'),
    *_schedule('Cityscapes FCN-16s', 90000, [63000, 81000],
               f'{MOCO_SEG}: 90k, x0.1 at 70 % and 90 %'),
]


def _only(items, what: str):
    """The single item of ``items``."""
    items = list(items)
    if len(items) != 1:
        raise LookupError(f'{len(items)} {what}')
    return items[0]


def _scheduler(cfg, kind: str):
    return _only((s for s in cfg.param_scheduler if s.type == kind),
                 f'{kind} schedulers')


def _train_pipelines(cfg):
    dataset = cfg.train_dataloader.dataset
    return [d.pipeline for d in dataset.get('datasets', [dataset])]


def _train_step(cfg, kind: str):
    """The ``kind`` step of the training pipeline(s), which must agree."""
    steps = [[s for s in pipeline if s.type == kind]
             for pipeline in _train_pipelines(cfg)]
    return _only({repr(s): s[0]
                  for s in steps if len(s) == 1}.values(),
                 f'{kind} steps in the training pipelines')


def _test_scale(cfg):
    return tuple(
        _only((s for s in cfg.test_dataloader.dataset.pipeline
               if s.type == 'Resize'), 'Resize steps').scale)


def _voc_train_dataset(cfg):
    return _only({d.type
                  for d in cfg.train_dataloader.dataset.datasets},
                 'dataset types')


#: fields that are not a path in the config
DERIVED = {
    'lr steps':
    lambda cfg: _scheduler(cfg, 'MultiStepLR').milestones,
    'lr gamma':
    lambda cfg: _scheduler(cfg, 'MultiStepLR').gamma,
    'warm-up start factor':
    lambda cfg: _scheduler(cfg, 'LinearLR').start_factor,
    'warm-up iterations':
    lambda cfg: _scheduler(cfg, 'LinearLR').end,
    'precise BN iterations':
    lambda cfg: _only(
        (h for h in cfg.custom_hooks
         if h.type == 'PostTrainingBNStatsHook'),
        'PostTrainingBNStatsHook').num_iters,
    'train resize':
    lambda cfg: _train_step(cfg, 'RandomChoiceResize').type,
    'train short sides':
    lambda cfg: sorted(
        min(s) for s in _train_step(cfg, 'RandomChoiceResize').scales),
    'train max size':
    lambda cfg: _only(
        {max(s)
         for s in _train_step(cfg, 'RandomChoiceResize').scales}, 'max sizes'),
    'train flip prob':
    lambda cfg: _train_step(cfg, 'RandomFlip').prob,
    'test scale':
    _test_scale,
    'voc train dataset':
    _voc_train_dataset,
}

MISSING = '<missing>'


def field_value(cfg, field: str):
    """The value of ``field`` in the resolved ``cfg``; an unset last key
    (e.g. a ``norm_cfg`` that is not given) is None, and a path that the
    config does not have is ``MISSING``."""
    if field in DERIVED:
        try:
            return DERIVED[field](cfg)
        except (LookupError, AttributeError, TypeError) as error:
            return f'{MISSING} ({error})'
    *parents, last = field.split('.')
    node = cfg
    for key in parents:
        node = node.get(key, MISSING) if hasattr(node, 'get') else MISSING
    return node.get(last) if hasattr(node, 'get') else MISSING


def _equal(value, expected) -> bool:
    """``value == expected``, with floats to rounding, sequences item by
    item, and bools and None not equal to numbers."""
    if isinstance(expected, (list, tuple)):
        return isinstance(
            value, (list, tuple)) and len(value) == len(expected) and all(
                map(_equal, value, expected))
    if isinstance(expected, bool) or expected is None:
        return value is expected
    if isinstance(expected, float):
        return isinstance(value, (int, float)) and not isinstance(
            value, bool) and abs(value - expected) <= 1e-9 * abs(expected)
    return value == expected


def violations(cfg, name: str) -> list:
    """Every row of ``PROTOCOL`` for the config ``name`` that ``cfg`` does
    not follow: the field, its value, the authors' value and the source."""
    return [
        f'{name}: {field} is {field_value(cfg, field)!r}, the authors\' '
        f'value is {expected!r} ({source})'
        for group, field, expected, source in PROTOCOL if name in GROUPS[group]
        and not _equal(field_value(cfg, field), expected)
    ]


def test_protocol_covers_every_benchmark_config():
    assert sorted(DET) == sorted(
        osp.relpath(p, config_path('')) for p in DET_CONFIGS)
    assert sorted(DET + SPARSE) == sorted(
        osp.relpath(p, config_path(''))
        for folder in ('voc0712', 'coco', 'cityscapes')
        for p in glob.glob(config_path(f'{folder}/*.py')))
    assert {group for group, *_ in PROTOCOL} == set(GROUPS)


@pytest.mark.parametrize('name', DET + LINEAR + SPARSE + SEG)
def test_config_follows_the_authors_protocol(name):
    if name in SEG:
        pytest.importorskip(
            'mmseg', reason='MMSegmentation is not installed (mmdetco[seg])')
    assert violations(load_config(config_path(name)), name) == []


def _set(cfg, path: str, value) -> None:
    *parents, last = path.split('.')
    for key in parents:
        cfg = cfg[int(key) if key.isdigit() else key]
    cfg[last] = value


@pytest.mark.parametrize('change, field', [
    (lambda cfg: _set(cfg, 'model.roi_head.bbox_head.type',
                      'Shared4Conv1FCBBoxHead'),
     'model.roi_head.bbox_head.type'),
    (lambda cfg: _set(cfg, 'optim_wrapper.paramwise_cfg', None),
     'optim_wrapper.paramwise_cfg.norm_decay_mult'),
    (lambda cfg: _set(cfg, 'param_scheduler.1.milestones', [8000, 10667]),
     'lr steps'),
    (lambda cfg: _set(cfg, 'custom_hooks', cfg.custom_hooks[:1]),
     'precise BN iterations'),
    (lambda cfg: _set(cfg, 'train_dataloader.dataset.pipeline.2.scales', [(
        1333, 800)]), 'train short sides'),
])
def test_a_changed_field_is_named_with_its_source(change, field):
    """Negative control: one field changed fails, naming it and where the
    authors' value comes from."""
    name = FPN_COCO[0]
    cfg = load_config(config_path(name))
    assert violations(cfg, name) == []
    change(cfg)
    (found, ) = violations(cfg, name)
    (source, ) = {
        s
        for g, f, _, s in PROTOCOL if f == field and name in GROUPS[g]
    }
    assert found.startswith(f'{name}: {field} is ') and source in found


def table_rows() -> list:
    """``PROTOCOL`` as the Markdown rows of docs/en/benchmarks.md."""
    return [
        f'| {group} | `{field}` | `{expected!r}` | {source} |'
        for group, field, expected, source in PROTOCOL
    ]


def test_docs_show_the_protocol_table():
    with open(osp.join(ROOT, 'docs', 'en', 'benchmarks.md')) as f:
        lines = set(f.read().splitlines())
    missing = [row for row in table_rows() if row not in lines]
    assert not missing, '\n'.join(missing[:5])
