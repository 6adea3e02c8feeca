# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp


def gpu_aug_config(config: str) -> str:
    """The ``*_gpuaug.py`` variant of a pre-training config: the same run
    with the colour jitter, greyscale and blur of the views on the device.

    Args:
        config (str): A pre-training config path, e.g.
            ``configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py``.

    Returns:
        str: The path of its variant, e.g.
        ``configs/detco/detco_resnet50_8xb32-coslr-200e_in1k_gpuaug.py``.

    Raises:
        FileNotFoundError: If the variant does not exist.
    """
    root, ext = osp.splitext(config)
    if root.endswith('_gpuaug'):
        return config
    variant = f'{root}_gpuaug{ext}'
    if not osp.isfile(variant):
        raise FileNotFoundError(
            f'{config} has no GPU-augmentation variant {variant}: write one '
            'that inherits it and selects `gpu_aug_train_pipeline` and '
            '`gpu_aug_data_preprocessor` (configs/detco/README.md).')
    return variant
