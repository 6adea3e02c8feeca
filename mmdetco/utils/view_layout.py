# Copyright (c) mmdetco contributors. All rights reserved.
"""The order of the DetCo views of a sample: global view 1, global view 2,
the patches of patch set 1, then those of patch set 2."""
from typing import List, Sequence, Tuple


def join_views(global_views: Sequence, patch_sets: Sequence[Sequence]) -> list:
    """The flat list of views of 2 global views and 2 patch sets."""
    if len(global_views) != 2 or len(patch_sets) != 2:
        raise ValueError('DetCo views are 2 global views and 2 patch sets, '
                         f'got {len(global_views)} and {len(patch_sets)}.')
    return [*global_views, *patch_sets[0], *patch_sets[1]]


def split_views(views: Sequence,
                num_patches: int,
                owner: str = 'DetCo') -> Tuple[List, List[List]]:
    """Split the flat views of :func:`join_views`.

    Args:
        views (Sequence): ``2 + 2 * num_patches`` views (images, batches).
        num_patches (int): Patches per set.
        owner (str): Named in the error message. Defaults to ``'DetCo'``.

    Returns:
        tuple: ``[global 1, global 2]`` and ``[patches of set 1, patches of
        set 2]``, each a list of ``num_patches``.

    Raises:
        ValueError: If ``views`` is not a list of that length.
    """
    expected = 2 + 2 * num_patches
    if not isinstance(views, (list, tuple)) or len(views) != expected:
        found = len(views) if isinstance(views, (list, tuple)) else \
            type(views).__name__
        raise ValueError(
            f'{owner} expects {expected} views per sample (2 global views '
            f'and 2 sets of {num_patches} patches, as produced by '
            f'`DetCoMultiView`), got {found}.')
    n = num_patches
    return list(views[:2]), [list(views[2:2 + n]), list(views[2 + n:])]


def patches_per_set(views: Sequence) -> int:
    """The number of patches per set of the flat views of a sample."""
    return (len(views) - 2) // 2
