# The demo's frozen-backbone probe: the demo detector with the whole
# ResNet-18 frozen (stem and 4 stages, eval-mode BN); only FPN and heads
# train. Before the first iteration BackboneBNStatsHook re-estimates the
# backbone's BN statistics on the training images, so that a random and a
# pre-trained backbone are compared on what their weights compute, not on
# where their statistics came from. The gradients of FPN and heads are
# clipped: without it they diverged on an object-centric backbone (loss NaN in
# epoch 2, no detection). A loss that still turns NaN stops the run
# (CheckInvalidLossHook), and a run that detects nothing on the val split is
# reported as diverged (mmdetco_demo.finetune), never as AP 0. The yardstick
# of `make demo` (docs/en/demo.md#the-yardsticks).
_base_ = './faster-rcnn_r18_fpn_1xb8-6e_demo.py'
custom_imports = dict(
    imports=['mmdetco', 'mmdetco.det', 'mmdetco_demo.separable_roi_align'])

model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True))
# the base's check first (it compares the BN buffers with the file before
# they are re-estimated: priority VERY_HIGH, before ABOVE_NORMAL)
custom_hooks = [
    dict(type='PretrainedBackboneCheckHook'),
    dict(type='BackboneBNStatsHook'),
    dict(type='CheckInvalidLossHook', interval=1),
]
# at MMDetection's usual 35 for two-stage detectors one probe of a DetCo
# backbone still diverged (the box head's loss 0.8 -> 97 at full lr, then no
# proposals); at 10, which leaves the usual steps (norm 2.5-10) alone, the
# same run trains (docs/en/demo.md#the-yardsticks)
optim_wrapper = dict(clip_grad=dict(max_norm=10, norm_type=2))
