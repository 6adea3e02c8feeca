_base_ = [
    '../_base_/models/detco_resnet50.py',
    '../_base_/datasets/imagenet_bs32_detco.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]
