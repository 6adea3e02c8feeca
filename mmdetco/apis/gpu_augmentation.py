# Copyright (c) mmdetco contributors. All rights reserved.
"""The ``gpu_augmentation`` switch of the DetCo configs."""
import copy
from typing import List, Tuple

from mmengine.config import Config

from .demo_scale import multi_view_of

#: Transforms that may follow a moved one on the CPU: the device applies the
#: moved ones after them, which changes nothing.
COMMUTING = ('RandomFlip', 'JigsawPatches', 'PackInputs')
#: The order in which the device applies the moved transforms.
ORDER = ('color_jitter', 'grayscale', 'blur')


def _device_op(transform: dict, path: str) -> Tuple[str, dict]:
    """The :class:`DetCoViewAugmentation` entry of a CPU transform, or
    ``(None, None)`` if it stays on the CPU."""
    kind = transform['type']
    if kind == 'RandomApply' and [t['type'] for t in transform['transforms']
                                  ] == ['ColorJitter']:
        return 'color_jitter', dict(
            _jitter(transform['transforms'][0]),
            prob=transform.get('prob', 0.5))
    if kind == 'ColorJitter':
        return 'color_jitter', dict(_jitter(transform), prob=1.)
    if kind in ('RandomGrayscale', 'FastRandomGrayscale'):
        if not transform.get('keep_channels', False) or transform.get(
                'color_format', 'bgr') != 'bgr':
            raise ValueError(f'{path}: gpu_augmentation needs {kind} with '
                             "keep_channels=True on BGR images.")
        weights = transform.get('channel_weights', (1., 1., 1.))
        # the CPU weights are in the pipeline's BGR order
        rgb = [w / sum(weights) for w in reversed(weights)]
        return 'grayscale', dict(
            prob=transform.get('prob', 0.1), rgb_weights=rgb)
    if kind == 'GaussianBlur':
        if transform.get('magnitude_std',
                         0.) != 'inf' or transform.get('radius') is not None:
            raise ValueError(
                f'{path}: gpu_augmentation supports GaussianBlur with a '
                "uniform sigma (magnitude_std='inf', no radius).")
        return 'blur', dict(
            sigma_range=tuple(transform['magnitude_range']),
            prob=transform.get('prob', 0.5))
    return None, None


def _jitter(transform: dict) -> dict:
    """The ranges of a ``ColorJitter`` config."""
    return {
        name: transform.get(name, 0.)
        for name in ('brightness', 'contrast', 'saturation', 'hue')
    }


def _split(pipeline: List[dict], path: str) -> Tuple[List[dict], dict]:
    """Split a view pipeline into its CPU transforms and the device ones."""
    kept, moved = [], {}
    for transform in pipeline:
        name, op = _device_op(transform, path)
        if name is None:
            if moved and transform['type'] not in COMMUTING:
                raise ValueError(
                    f'{path}: gpu_augmentation cannot move {list(moved)} to '
                    f'the device: {transform["type"]} follows them in the '
                    'pipeline and would then come before them.')
            kept.append(transform)
        elif name in moved:
            raise ValueError(f'{path}: two {name} transforms in one view '
                             'pipeline; gpu_augmentation moves one of each.')
        elif any(ORDER.index(name) < ORDER.index(done) for done in moved):
            raise ValueError(
                f'{path}: gpu_augmentation applies {" -> ".join(ORDER)} in '
                f'this order; the pipeline has {name} after {list(moved)}.')
        else:
            moved[name] = op
    return kept, moved


def apply_gpu_augmentation(cfg: Config, path: str = 'config') -> Config:
    """Move the colour jitter, greyscale and blur of the DetCo views from the
    CPU pipeline to the device, if ``cfg.gpu_augmentation`` is true.

    The transforms are taken out of both view pipelines of
    :class:`DetCoMultiView` and their probabilities and ranges become the
    ``augmentation`` of :class:`DetCoDataPreprocessor` (the model's data
    preprocessor). Crops, flips and patch cutting stay on the CPU.

    Args:
        cfg (Config): A DetCo pre-training config; changed in place.
        path (str): The config's name in error messages.

    Returns:
        Config: ``cfg``.
    """
    if not cfg.get('gpu_augmentation', False):
        return cfg
    views = multi_view_of(cfg, path)
    moved = {}
    for key in ('global_pipeline', 'patch_pipeline'):
        views[key], moved[key] = _split(views[key], f'{path}: {key}')
    if moved['global_pipeline'] != moved['patch_pipeline']:
        raise ValueError(
            f'{path}: gpu_augmentation needs the same colour/greyscale/blur '
            'in both view pipelines, got global '
            f'{moved["global_pipeline"]} and patch {moved["patch_pipeline"]}.')
    if not moved['global_pipeline']:
        raise ValueError(f'{path}: gpu_augmentation is on but the view '
                         'pipelines have no colour jitter, greyscale or blur.')
    holder = cfg.model if cfg.model.get('data_preprocessor') else cfg
    preprocessor = copy.deepcopy(holder.get('data_preprocessor') or {})
    if preprocessor.get('type') not in (None, 'SelfSupDataPreprocessor',
                                        'DetCoDataPreprocessor'):
        raise ValueError(f'{path}: gpu_augmentation needs the data '
                         'preprocessor DetCoDataPreprocessor, got '
                         f'{preprocessor["type"]}.')
    preprocessor.update(
        type='DetCoDataPreprocessor', augmentation=moved['global_pipeline'])
    holder.data_preprocessor = preprocessor
    return cfg
