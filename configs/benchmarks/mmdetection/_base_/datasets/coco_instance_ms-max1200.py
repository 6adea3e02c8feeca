# ./coco_instance_ms.py with the longer side of the training images at most
# 1200 instead of 1333, as the DetCo (and MoCo) authors' COCO C4 configs
# (coco_R_50_C4_2x_moco.yaml: INPUT.MAX_SIZE_TRAIN 1200, inherited by their
# 12k and 1x configs); tests stay at (1333, 800) (MAX_SIZE_TEST 1333).
_base_ = './coco_instance_ms.py'

train_pipeline = [
    dict(step, scales=[(1200, short) for _, short in step['scales']])
    if step['type'] == 'RandomChoiceResize' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
