# detco_resnet18_1xb16-coslr-8e_demo.py with the colour jitter, greyscale
# and blur of the views on the device (DetCoDataPreprocessor): the same
# augmentation, less CPU per image
_base_ = './detco_resnet18_1xb16-coslr-8e_demo.py'
train_dataloader = dict(dataset=dict(pipeline=_base_.gpu_aug_train_pipeline))
data_preprocessor = _base_.gpu_aug_data_preprocessor
