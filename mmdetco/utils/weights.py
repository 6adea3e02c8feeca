# Copyright (c) mmdetco contributors. All rights reserved.
"""Compare state dicts; read the query backbone of a self-supervised
checkpoint (which files, and why: docs/en/benchmarks.md, "How the
pre-trained weights are passed")."""
import os
import os.path as osp
import re
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import (Collection, Dict, Iterable, List, NamedTuple, Optional,
                    Tuple, Union)

import torch

from ..version import __version__
from .checkpoint import load_checkpoint_safely

BACKBONE_PREFIX = 'backbone.'
MOMENTUM_ENCODER_PREFIXES = ('encoder_k.', 'momentum_encoder.', 'target_net.')
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


def shorten(names: list, limit: int = 10) -> str:
    """Join ``names``, keeping the first ``limit`` of them."""
    text = ', '.join(str(name) for name in names[:limit])
    if len(names) > limit:
        text += f', ... ({len(names)} in all)'
    return text or 'none'


def prefix_counts(keys: Iterable, limit: int = 20, suffix: str = '') -> str:
    """The first components of ``keys`` with their numbers of keys, e.g.
    ``'backbone (62), neck (4)'``."""
    counts = Counter(str(key).split('.')[0] for key in keys)
    return shorten([f'{name}{suffix} ({n})' for name, n in counts.items()],
                   limit)


def shape_of(value: object) -> Union[tuple, str]:
    """The shape of a tensor, the type name of anything else."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else \
        type(value).__name__


class Mismatch(NamedTuple):
    """The keys of a module's state dict that a file did not load."""
    missing: List[str]  # in the module, not in the file
    unexpected: List[str]  # in the file, not in the module
    misshapen: List[str]  # 'key file-shape != module-shape'
    changed: List[str]  # other values than the file's

    def describe(self, labels: Mapping, limit: int = 10) -> List[str]:
        """``'label: keys'`` for each kind (``labels``) with keys."""
        return [
            f'{labels[kind]}: {shorten(keys, limit)}'
            for kind, keys in self._asdict().items() if keys
        ]


def compare_state_dicts(state: Mapping,
                        offered: Mapping,
                        ignore_missing: Collection[str] = (),
                        ignore_unexpected: Union[bool, Collection[str]] = (),
                        values: bool = True) -> Mismatch:
    """Compare a module's state dict with what a file offers it, as
    ``load_state_dict(strict=True)`` does, values too.

    Args:
        state (Mapping): The module's state dict.
        offered (Mapping): The file's tensors, under the module's names.
        ignore_missing (Collection[str]): Prefixes the file may lack.
        ignore_unexpected (bool | Collection[str]): Prefixes of the file's
            keys the module may lack; True: all.
        values (bool): Whether to compare the values. Defaults to True.

    Returns:
        Mismatch: What did not load (``num_batches_tracked`` never counts).
    """
    keys = [k for k in state if not k.endswith('num_batches_tracked')]
    mismatch = Mismatch(
        [k for k in keys if k not in offered and
         not k.startswith(tuple(ignore_missing))],
        [] if ignore_unexpected is True else [
            k for k in offered if k not in state and not k.startswith(
                tuple(ignore_unexpected)) and
            not k.endswith('num_batches_tracked')
        ], [], [])
    for key in filter(offered.__contains__, keys):
        value, source = state[key], offered[key]
        if shape_of(source) != tuple(value.shape):
            mismatch.misshapen.append(
                f'{key} {shape_of(source)} != {tuple(value.shape)}')
        elif values and not torch.equal(value.detach().cpu(),
                                        source.to(value.dtype)):
            mismatch.changed.append(key)
    return mismatch


def state_dict_of(ckpt: object, strict: bool = False) -> Optional[Mapping]:
    """``ckpt['state_dict']`` if there is one, else ``ckpt`` (``strict``:
    if a dict of tensors); None if that is no mapping."""
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(
        ckpt, Mapping) else None
    if strict and state_dict is ckpt and not (ckpt and all(
            isinstance(v, torch.Tensor) for v in ckpt.values())):
        return None
    return state_dict if isinstance(state_dict, Mapping) else None


def select_as_pretrained(state_dict: Mapping,
                         prefix: Optional[str]) -> OrderedDict:
    """What mmengine's ``Pretrained`` init loads of a state dict: all,
    ``module.`` stripped (no ``prefix``), or the keys under ``prefix``."""
    if prefix is None:
        return OrderedDict(
            (re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def extract_backbone_state_dict(ckpt: object,
                                path_for_errors: str) -> OrderedDict:
    """The query backbone of a self-supervised checkpoint.

    Args:
        ckpt (object): A state dict with ``backbone.*`` and momentum encoder
            keys (:data:`MOMENTUM_ENCODER_PREFIXES`), maybe under
            ``state_dict``; or ``{'state_dict': a torchvision ResNet}``.
        path_for_errors (str): Where ``ckpt`` comes from, for the messages.

    Returns:
        OrderedDict: The backbone, without ``backbone.`` and ``fc.*``.

    Raises:
        ValueError: Naming the keys found, if ``ckpt`` is neither.
    """
    state_dict = state_dict_of(ckpt, strict=True)
    keys = [str(key) for key in state_dict or ()]
    backbone = [key for key in keys if not key.startswith('fc.')]
    if state_dict is not ckpt and backbone and all(
            key.startswith(TORCHVISION_RESNET_PREFIXES) for key in backbone):
        return OrderedDict((k, state_dict[k]) for k in backbone)
    if not (any(k.startswith(BACKBONE_PREFIX) for k in keys)
            and any(k.startswith(MOMENTUM_ENCODER_PREFIXES) for k in keys)):
        found = f'found a {type(ckpt).__name__}, not a dict' if not \
            isinstance(ckpt, Mapping) else \
            f'found top-level keys: {shorten(list(ckpt))}; ' + (
                'no state_dict' if state_dict is None else
                f'state_dict prefixes (keys): {prefix_counts(keys)}')
        raise ValueError(
            f'{path_for_errors} is not a DetCo or MMPretrain self-supervised '
            f'checkpoint: expected a state_dict with {BACKBONE_PREFIX}* keys '
            f'and momentum encoder keys '
            f'({"*, ".join(MOMENTUM_ENCODER_PREFIXES)}*); {found}.')
    return select_as_pretrained(state_dict, BACKBONE_PREFIX)


class ResNetLayout(NamedTuple):
    """The blocks of a ResNet state dict's ``layer*`` keys."""
    block: str  # 'Bottleneck' or 'BasicBlock'
    blocks: Dict[int, int]  # per stage, {1: 3, 2: 4, ...}
    depth: Optional[int]  # of the torchvision ResNet of this layout

    def __str__(self) -> str:
        stages = '-'.join(str(self.blocks[s]) for s in sorted(self.blocks))
        return f'ResNet-{self.depth} ({self.block}, {stages} blocks)' \
            if self.depth else f'a ResNet of {self.block}s, {stages} blocks'


def resnet_layout(keys: Iterable) -> ResNetLayout:
    """The :class:`ResNetLayout` of the keys of a ResNet state dict."""
    blocks, block = {}, 'BasicBlock'
    for match in filter(None, (re.match(r'layer(\d+)\.(\d+)\.(conv3)?', k)
                               for k in map(str, keys))):
        stage, index = int(match.group(1)), int(match.group(2))
        blocks[stage] = max(blocks.get(stage, 0), index + 1)
        block = 'Bottleneck' if match.group(3) else block
    return ResNetLayout(block, blocks, RESNET_LAYOUTS.get(
        (block, tuple(blocks[s] for s in sorted(blocks)))))


def infer_resnet_depth(state_dict: Mapping, path_for_errors: str) -> int:
    """The depth of a backbone with the keys and shapes of a torchvision
    ResNet without ``fc`` (MMPretrain's ``ResNet``, ``style='pytorch'``).

    Args:
        state_dict (Mapping): A backbone state dict, without prefix.
        path_for_errors (str): Where it comes from, for the messages.

    Returns:
        int: The depth, one of 18, 34, 50, 101 and 152.

    Raises:
        ValueError: Naming the blocks or keys, for another backbone.
    """
    import torchvision

    block, blocks, depth = resnet_layout(state_dict)
    if depth is None or sorted(blocks) != [1, 2, 3, 4]:
        raise ValueError(
            f'The backbone of {path_for_errors} is not a ResNet-18/34/50/'
            f'101/152: found {block} blocks per stage {blocks}, keys '
            f'{shorten(list(state_dict))}.')
    with torch.device('meta'):
        reference = getattr(torchvision.models, f'resnet{depth}')()
    mismatch = compare_state_dicts(
        {k: v for k, v in reference.state_dict().items() if k[:3] != 'fc.'},
        state_dict, values=False)
    if any(mismatch):
        labels = dict(missing='missing keys', unexpected='unexpected keys',
                      misshapen='wrong shapes')
        raise ValueError(f'The backbone of {path_for_errors} does not match '
                         f'torchvision resnet{depth}: '
                         f'{"; ".join(mismatch.describe(labels))}.')
    return depth


def load_resnet_backbone(path: str) -> Tuple[OrderedDict, int]:
    """The query ResNet backbone (without prefix) of the self-supervised
    checkpoint file ``path``, and its depth."""
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
