# Copyright (c) mmdetco contributors. All rights reserved.
"""Any DetCo pre-training config at the demo's scale and budget."""
import copy
from typing import List

from mmengine.config import Config

from mmdetco.compat import ResNet, get_expansion
from mmdetco.utils.package_files import package_file
from .steps import DETCO_CONFIG

#: The neck fields that count channels of the backbone levels.
CHANNEL_FIELDS = ('in_channels', 'hid_channels', 'local_hid_channels')
#: Per transform type, the field that sets the size of a view.
SIZE_FIELDS = dict(
    RandomResizedCrop='scale',
    FastRandomResizedCrop='scale',
    JigsawPatches='patch_size')


def _expansion(depth: int) -> int:
    """Output channels of a ResNet block per base channel (1 or 4)."""
    return get_expansion(ResNet.arch_settings[depth][0])


def multi_view_of(cfg: Config, path: str) -> dict:
    """The ``DetCoMultiView`` transform of a config's training pipeline."""
    for transform in cfg.train_dataloader.dataset.pipeline:
        if transform['type'] == 'DetCoMultiView':
            return transform
    raise ValueError(f'{path}: no `DetCoMultiView` in '
                     'train_dataloader.dataset.pipeline; not a DetCo '
                     'pre-training config.')


def _resize_views(pipeline: List[dict], demo_pipeline: List[dict],
                  name: str) -> List[dict]:
    """``pipeline`` with the view sizes of ``demo_pipeline``."""
    sizes = {
        t['type']: t[SIZE_FIELDS[t['type']]]
        for t in demo_pipeline if t['type'] in SIZE_FIELDS
    }
    resized = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        if transform['type'] in SIZE_FIELDS:
            if transform['type'] not in sizes:
                raise ValueError(f'the demo {name} has no '
                                 f'{transform["type"]} to take a size from')
            transform[SIZE_FIELDS[transform['type']]] = sizes[
                transform['type']]
        resized.append(transform)
    return resized


def shrink_to_demo(config: str, demo_config: str = DETCO_CONFIG) -> Config:
    """A DetCo pre-training config shrunk to the demo.

    What makes the variant is kept: the head (levels, weights, terms,
    temperature), the neck's switches, ``symmetric``, the patch grid and
    shuffle and every transform of the views. What sets the scale and the
    budget comes from the demo config: the backbone depth (the neck's
    channel counts scaled with it, e.g. divided by 4 from ResNet-50 to
    ResNet-18), ``queue_len``, ``momentum``, the crop and patch sizes, the
    data, the schedule, the optimizer and the hooks.

    Args:
        config (str): A DetCo pre-training config, e.g. an ablation of
            ``configs/detco/ablations/``.
        demo_config (str): The demo DetCo config, relative to
            ``mmdetco/.mim`` or absolute. Defaults to :data:`DETCO_CONFIG`.

    Returns:
        Config: The demo config with the variant's model and views.
    """
    cfg = Config.fromfile(config)
    demo = Config.fromfile(package_file(demo_config))
    model = copy.deepcopy(cfg.model)
    if model.get('type') != 'DetCo':
        raise ValueError(f'{config}: `model.type` is {model.get("type")!r}, '
                         'not DetCo.')
    depth = demo.model.backbone.depth
    ratio = _expansion(model.backbone.depth) // _expansion(depth)
    model.backbone.depth = depth
    for field in CHANNEL_FIELDS:
        value = model.neck.get(field)
        if isinstance(value, int):
            model.neck[field] = value // ratio
        elif value is not None:
            model.neck[field] = tuple(c // ratio for c in value)
    model.queue_len = demo.model.queue_len
    model.momentum = demo.model.momentum
    demo.model = model

    views = multi_view_of(cfg, config)
    demo_views = multi_view_of(demo, demo_config)
    for key in ('global_pipeline', 'patch_pipeline'):
        demo_views[key] = _resize_views(views[key], demo_views[key], key)
    return demo
