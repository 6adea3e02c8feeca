# Copyright (c) mmdetco contributors. All rights reserved.
"""Read the pre-trained backbone out of a self-supervised checkpoint.

Shared by the tools in ``tools/model_converters``
(:func:`load_resnet_backbone`, :func:`extract_backbone_state_dict`), and by
``PretrainedBackboneCheckHook`` and :mod:`mmdetco.utils.weight_mismatch`,
which take what a ``Pretrained`` init loads of a file
(:func:`state_dict_of`, :func:`select_as_pretrained`) and describe the ResNet
in it (:func:`describe_resnet`).

Which checkpoints are accepted: :func:`extract_backbone_state_dict` takes
the state dict under ``state_dict`` (mmengine checkpoints), or the
checkpoint itself when it is a bare dict of tensors, and requires in it

- ``backbone.*`` keys: the query (online) backbone, which is exported, and
- keys of a momentum encoder: ``encoder_k.*`` (DetCo, MoCo v1/v2, DenseCL),
  ``momentum_encoder.*`` (MoCo v3) or ``target_net.*`` (BYOL); it is never
  exported.

The second condition tells self-supervised pre-training checkpoints apart
from detector and classifier checkpoints, which also hold ``backbone.*``;
self-supervised methods without a momentum encoder (SimCLR, SimSiam, ...)
are refused too.

Also accepted: the format of the DetCo authors' released checkpoints,
``{'state_dict': backbone}`` with a ResNet in torchvision / OpenSelfSup
names (``conv1.weight``, ``bn1.*``, ``layer1.0.conv1.weight``, ...; a
classifier ``fc.*``, if any, is dropped); :func:`infer_resnet_depth` then
checks that the backbone is complete. A bare torchvision state dict (not
under ``state_dict``) is refused.

Anything refused raises a ``ValueError`` that lists what was found: the
top-level keys and the first components of the state dict keys, with
counts.
"""
import os
import os.path as osp
import re
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Dict, Iterable, Optional, Tuple

import torch

from ..version import __version__
from .checkpoint import load_weights_only

BACKBONE_PREFIX = 'backbone.'
MOMENTUM_ENCODER_PREFIXES = ('encoder_k.', 'momentum_encoder.', 'target_net.')
#: The keys of a bare torchvision ResNet backbone (no classifier ``fc``).
TORCHVISION_RESNET_PREFIXES = ('conv1.', 'bn1.', 'layer1.', 'layer2.',
                               'layer3.', 'layer4.')

# (block type, blocks per stage) -> depth of the torchvision ResNet
RESNET_LAYOUTS = {
    ('BasicBlock', (2, 2, 2, 2)): 18,
    ('BasicBlock', (3, 4, 6, 3)): 34,
    ('Bottleneck', (3, 4, 6, 3)): 50,
    ('Bottleneck', (3, 4, 23, 3)): 101,
    ('Bottleneck', (3, 8, 36, 3)): 152,
}


def load_checkpoint_safely(path: str) -> dict:
    """Load a checkpoint with ``torch.load(weights_only=True)`` on the CPU.

    mmengine training checkpoints load once :mod:`mmdetco` is imported (it
    allows the types mmengine writes, see :mod:`mmdetco.utils.checkpoint`).

    Args:
        path (str): The checkpoint file.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: If the file cannot be unpickled with
            ``weights_only=True`` (it holds other objects, or is no
            checkpoint at all).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Checkpoint {path} does not exist.')
    try:
        return load_weights_only(path, map_location='cpu')
    except Exception as exc:  # the errors on garbage are many and vary
        raise ValueError(
            f'Cannot load {path} safely with torch.load(weights_only=True); '
            f'it is no checkpoint, or it holds objects that are not '
            f'allowed:\n{exc}') from exc


def state_dict_of(ckpt: object) -> Optional[Mapping]:
    """The state dict of a checkpoint as mmengine's loaders take it:
    ``ckpt['state_dict']`` if there is one, else ``ckpt``; None if that is
    not a mapping."""
    if not isinstance(ckpt, Mapping):
        return None
    state_dict = ckpt['state_dict'] if 'state_dict' in ckpt else ckpt
    return state_dict if isinstance(state_dict, Mapping) else None


def _strict_state_dict(ckpt: object) -> Optional[Mapping]:
    """:func:`state_dict_of`, where a checkpoint without ``state_dict`` must
    be a bare dict of tensors."""
    state_dict = state_dict_of(ckpt)
    if state_dict is ckpt and not (ckpt and all(
            isinstance(v, torch.Tensor) for v in ckpt.values())):
        return None
    return state_dict


def shorten(names: list, limit: int = 10) -> str:
    """Join ``names``, keeping the first ``limit`` of them."""
    text = ', '.join(str(name) for name in names[:limit])
    if len(names) > limit:
        text += f', ... ({len(names)} in all)'
    return text or 'none'


def prefix_counts(keys: Iterable, limit: int = 20, suffix: str = '') -> str:
    """The first components of ``keys`` (``suffix`` appended) with their
    numbers of keys, e.g. ``'backbone (62), neck (4)'``, shortened."""
    counts = Counter(str(key).split('.')[0] for key in keys)
    return shorten([f'{name}{suffix} ({n})' for name, n in counts.items()],
                   limit)


def select_as_pretrained(state_dict: Mapping,
                         prefix: Optional[str]) -> OrderedDict:
    """What mmengine's ``Pretrained`` init loads of a file's state dict:
    without ``prefix`` all, ``module.`` stripped (``load_checkpoint``), else
    the keys under ``prefix``, without it (``_load_checkpoint_with_prefix``).
    """
    if prefix is None:
        return OrderedDict(
            (re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def _describe(ckpt: object) -> str:
    """Say what a refused checkpoint holds."""
    if not isinstance(ckpt, Mapping):
        return f'found a {type(ckpt).__name__}, not a dict'
    text = f'found top-level keys: {shorten(list(ckpt))}'
    state_dict = _strict_state_dict(ckpt)
    if state_dict is None:
        return text + '; no state_dict'
    return text + f'; state_dict prefixes (keys): {prefix_counts(state_dict)}'


def extract_backbone_state_dict(ckpt: dict,
                                path_for_errors: str) -> OrderedDict:
    """Return the query backbone of a self-supervised checkpoint.

    See the module docstring for the checkpoints accepted.

    Args:
        ckpt (dict): A loaded checkpoint, e.g. from
            :func:`load_checkpoint_safely`.
        path_for_errors (str): Where ``ckpt`` comes from, for the messages.

    Returns:
        OrderedDict: The ``backbone.*`` tensors, without the prefix (a
        released backbone as it is, without ``fc.*``).

    Raises:
        ValueError: If ``ckpt`` is neither a self-supervised checkpoint with
            a backbone and a momentum encoder nor a released backbone.
    """
    state_dict = _strict_state_dict(ckpt)
    keys = [str(key) for key in state_dict or ()]
    released = isinstance(ckpt, Mapping) and isinstance(
        ckpt.get('state_dict'), Mapping)
    backbone = [key for key in keys if not key.startswith('fc.')]
    if released and backbone and all(
            key.startswith(TORCHVISION_RESNET_PREFIXES) for key in backbone):
        # the DetCo authors' release: the backbone (any fc.* is no part)
        return OrderedDict((key, value) for key, value in state_dict.items()
                           if not str(key).startswith('fc.'))
    has_backbone = any(key.startswith(BACKBONE_PREFIX) for key in keys)
    has_momentum = any(
        key.startswith(MOMENTUM_ENCODER_PREFIXES) for key in keys)
    if not (has_backbone and has_momentum):
        momentum = '*, '.join(MOMENTUM_ENCODER_PREFIXES)
        raise ValueError(
            f'{path_for_errors} is not a DetCo or MMPretrain self-supervised '
            f'checkpoint: expected a state_dict with {BACKBONE_PREFIX}* keys '
            f'and momentum encoder keys ({momentum}*); '
            f'{_describe(ckpt)}.')
    return select_as_pretrained(state_dict, BACKBONE_PREFIX)


def resnet_blocks(keys: Iterable[str]) -> Tuple[str, Dict[int, int]]:
    """The block type (``'Bottleneck'`` or ``'BasicBlock'``) and the number
    of blocks of every stage (``{1: 3, 2: 4, ...}``; empty if none) that the
    ``layer{stage}.{block}.*`` keys of a ResNet state dict show."""
    blocks, bottleneck = {}, False
    for key in map(str, keys):
        match = re.match(r'layer(\d+)\.(\d+)\.', key)
        if match:
            stage, index = int(match.group(1)), int(match.group(2))
            blocks[stage] = max(blocks.get(stage, 0), index + 1)
            bottleneck |= key.startswith(f'layer{stage}.{index}.conv3.')
    return 'Bottleneck' if bottleneck else 'BasicBlock', blocks


def _resnet_depth(block: str, blocks: Mapping[int, int]) -> Optional[int]:
    """The depth of the torchvision ResNet of :func:`resnet_blocks`'s
    layout, None if no such ResNet has it."""
    return RESNET_LAYOUTS.get(
        (block, tuple(blocks[s] for s in sorted(blocks))))


def describe_resnet(keys: Iterable[str]) -> Optional[str]:
    """``'ResNet-50 (Bottleneck, 3-4-6-3 blocks)'`` (``'a ResNet of
    BasicBlocks, 1-1 blocks'`` for another layout) for the keys of a ResNet
    state dict; None if they have no ``layer*`` blocks."""
    block, blocks = resnet_blocks(keys)
    if not blocks:
        return None
    depth = _resnet_depth(block, blocks)
    stages = '-'.join(str(blocks[s]) for s in sorted(blocks))
    return f'ResNet-{depth} ({block}, {stages} blocks)' if depth else \
        f'a ResNet of {block}s, {stages} blocks'


def infer_resnet_depth(state_dict: Mapping, path_for_errors: str) -> int:
    """Infer the depth of a ResNet backbone state dict and check its keys.

    The keys must be those of ``torchvision.models.resnet{depth}`` without
    ``fc.*`` (``num_batches_tracked`` may be missing), with the same shapes:
    MMPretrain's ``ResNet`` backbone has exactly these keys. Its variants
    with other keys (``ResNetV1c``/``ResNetV1d``: ``stem.*``,
    ``downsample.2``) or shapes (ResNeXt) are refused. A ResNet built with
    ``style='caffe'`` (stride in the 1x1 convolution) cannot be told apart
    from the weights; the default ``style='pytorch'`` matches torchvision.

    Args:
        state_dict (Mapping): A backbone state dict, without prefix.
        path_for_errors (str): Where it comes from, for the messages.

    Returns:
        int: The depth, one of 18, 34, 50, 101 and 152.

    Raises:
        ValueError: If the keys are not those of such a ResNet.
    """
    import torchvision

    block, blocks = resnet_blocks(state_dict)
    depth = _resnet_depth(block, blocks)
    if depth is None or sorted(blocks) != [1, 2, 3, 4]:
        raise ValueError(
            f'The backbone of {path_for_errors} is not a ResNet-18/34/50/'
            f'101/152: found {block} blocks per stage {blocks}, keys '
            f'{shorten(list(state_dict))}.')

    with torch.device('meta'):
        reference = getattr(torchvision.models, f'resnet{depth}')()
    expected = {
        key: tuple(value.shape)
        for key, value in reference.state_dict().items()
        if not key.startswith('fc.')
    }
    missing = [
        key for key in expected
        if key not in state_dict and not key.endswith('num_batches_tracked')
    ]
    unexpected = [key for key in state_dict if key not in expected]
    wrong_shape = [
        f'{key} {tuple(value.shape)} != {expected[key]}'
        for key, value in state_dict.items()
        if key in expected and tuple(value.shape) != expected[key]
    ]
    if missing or unexpected or wrong_shape:
        raise ValueError(
            f'The backbone of {path_for_errors} does not match torchvision '
            f'resnet{depth}: missing keys: {shorten(missing)}; unexpected '
            f'keys: {shorten(unexpected)}; wrong shapes: '
            f'{shorten(wrong_shape)}.')
    return depth


def load_resnet_backbone(path: str) -> Tuple[OrderedDict, int]:
    """Load the query ResNet backbone of a self-supervised checkpoint.

    Args:
        path (str): The checkpoint file.

    Returns:
        tuple: The backbone state dict (without prefix) and its depth.
    """
    state_dict = extract_backbone_state_dict(
        load_checkpoint_safely(path), path)
    return state_dict, infer_resnet_depth(state_dict, path)


def export_backbone(checkpoint: str,
                    out: str,
                    with_prefix: bool = False) -> OrderedDict:
    """Save the query backbone of a self-supervised checkpoint
    (:func:`extract_backbone_state_dict`) to ``out`` as
    ``{'state_dict': backbone, 'meta': source info}``.

    Args:
        checkpoint (str): The pre-training checkpoint.
        out (str): The output file; its folder is created.
        with_prefix (bool): Keep the ``backbone.`` prefix of the keys.
            Defaults to False.

    Returns:
        OrderedDict: The saved state dict.
    """
    ckpt = load_checkpoint_safely(checkpoint)
    prefix = BACKBONE_PREFIX if with_prefix else ''
    state_dict = OrderedDict(
        (prefix + key, value)
        for key, value in extract_backbone_state_dict(ckpt,
                                                      checkpoint).items())
    source_meta = ckpt.get('meta')
    if not isinstance(source_meta, dict):
        source_meta = {}
    meta = dict(
        source=checkpoint, prefix=prefix or None, mmdetco_version=__version__)
    for key in ('epoch', 'iter', 'experiment_name'):
        if isinstance(source_meta.get(key), (int, str)):
            meta[f'source_{key}'] = source_meta[key]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save({'state_dict': state_dict, 'meta': meta}, out)
    return state_dict
