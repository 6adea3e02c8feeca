_base_ = [
    '../_base_/models/detco_resnet50.py',
    '../_base_/datasets/imagenet_bs32_detco.py',
    '../_base_/schedules/imagenet_sgd_coslr_200e.py',
    '../_base_/default_runtime.py',
]

# kNN top-1 of the res5 features on a val subset every 10 epochs
custom_hooks = _base_.custom_hooks + [
    dict(
        type='KNNMonitorHook',
        dataloader=_base_.knn_dataloader,
        k=20,
        temperature=0.07,
        interval=10),
]
