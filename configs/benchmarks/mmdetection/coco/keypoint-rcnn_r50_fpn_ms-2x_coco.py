# COCO keypoints, Keypoint R-CNN R50-FPN, 2x: ONLY THE BOX BRANCH.
#
# What is missing. MMDetection 3.3 has no Keypoint R-CNN: no keypoint RoI
# head (detectron2's KRCNNConvDeconvUpsampleHead: 8 convs + deconv, 17
# heatmaps of 56x56), no keypoint targets or loss, no loading of COCO
# keypoints (LoadAnnotations has no keypoint option), no keypoint
# flip (RandomFlip does not swap left/right joints) and no keypoint AP
# (CocoMetric evaluates bbox/segm/proposal only). MMPose 1.x is not the home
# either: it evaluates keypoint AP but has top-down (person crops from a
# separate detector), bottom-up and one-stage pose models, no RoI-based
# Keypoint R-CNN. Writing one (a head, its target generator, a pipeline and
# a metric) is a project of its own and is NOT done here.
#
# What this config is. The part of Keypoint R-CNN that MMDetection has: the
# R50-FPN person detector (backbone, FPN, RPN and box head as in
# ../_base_/models/faster-rcnn_r50_fpn.py, SyncBN, DetCo-initialised
# backbone) trained on the person boxes of
# person_keypoints_train2017.json, multi-scale, detectron2's 2x schedule
# (180k iterations, steps 120k/160k). It reports the person box AP
# (coco/bbox_mAP), which is NOT the keypoint AP (AP^kp) of the papers and
# must not be reported as such.
#
# The keypoint AP. Run detectron2's Keypoint R-CNN on the same backbone:
# convert it with tools/model_converters/convert_to_detectron2.py and use
# COCO-Keypoints/keypoint_rcnn_R_50_FPN_3x.yaml with SOLVER.STEPS
# (120000, 160000), SOLVER.MAX_ITER 180000, MODEL.RESNETS.NORM SyncBN,
# MODEL.FPN.NORM SyncBN, MODEL.RESNETS.STRIDE_IN_1X1 False, INPUT.FORMAT
# RGB, MODEL.PIXEL_MEAN [123.675, 116.28, 103.53], MODEL.PIXEL_STD
# [58.395, 57.12, 57.375] (docs/en/benchmarks.md gives the command).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_person_ms.py',
    '../_base_/schedules/schedule_2x.py',
    '../_base_/default_runtime.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
