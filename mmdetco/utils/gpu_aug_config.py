# Copyright (c) mmdetco contributors. All rights reserved.
import glob
import os.path as osp

SUFFIX = '_gpuaug'


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
        FileNotFoundError: If the config or its variant does not exist; the
            message lists the configs of its folder that have a variant and
            the three lines that make one.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'no such config: {config}')
    root, ext = osp.splitext(config)
    if root.endswith(SUFFIX):
        return config
    variant = f'{root}{SUFFIX}{ext}'
    if osp.isfile(variant):
        return variant
    folder = osp.dirname(config) or '.'
    have = sorted(
        osp.basename(v)[:-len(SUFFIX + ext)] + ext
        for v in glob.glob(osp.join(folder, f'*{SUFFIX}{ext}')))
    listed = ', '.join(have) if have else 'none'
    raise FileNotFoundError(
        f'{config} has no GPU-augmentation variant {variant}. '
        f'Configs of {folder} that have one: {listed}. To make one, write '
        f'{variant} with the lines\n'
        f"    _base_ = './{osp.basename(config)}'\n"
        '    train_dataloader = dict(dataset=dict('
        'pipeline=_base_.gpu_aug_train_pipeline))\n'
        '    data_preprocessor = _base_.gpu_aug_data_preprocessor\n'
        '(a config whose views differ from those of '
        'configs/_base_/datasets/imagenet_bs32_detco.py defines its own '
        '`gpu_aug_train_pipeline`; configs/detco/README.md).')
