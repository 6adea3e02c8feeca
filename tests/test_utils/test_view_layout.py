# Copyright (c) mmdetco contributors. All rights reserved.
"""The flat order of the DetCo views: global views, then patch set 1, then
patch set 2."""
import pytest
import torch

from mmdetco.utils import join_views, patches_per_set, split_views

GLOBALS = ['g1', 'g2']
SETS = [['a1', 'a2', 'a3'], ['b1', 'b2', 'b3']]
FLAT = ['g1', 'g2', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3']


def test_join_puts_the_global_views_first():
    assert join_views(GLOBALS, SETS) == FLAT
    assert join_views(tuple(GLOBALS), (tuple(SETS[0]), SETS[1])) == FLAT
    assert split_views(FLAT, 3) == (GLOBALS, SETS)


@pytest.mark.parametrize('num_patches', [0, 1, 3, 9])
def test_split_and_join_round_trip(num_patches):
    views = [f'v{i}' for i in range(2 + 2 * num_patches)]
    globals_, sets = split_views(tuple(views), num_patches)
    assert isinstance(globals_, list) and all(
        isinstance(s, list) for s in sets)
    assert globals_ == views[:2]
    assert [len(s) for s in sets] == [num_patches, num_patches]
    assert join_views(globals_, sets) == views
    assert patches_per_set(views) == num_patches


def test_split_keeps_the_views_themselves():
    views = [torch.full((2, 3), float(i)) for i in range(6)]
    globals_, sets = split_views(views, 2)
    assert globals_[1] is views[1] and sets[1][0] is views[4]


@pytest.mark.parametrize('global_views,patch_sets', [
    (['g1'], SETS),
    (['g1', 'g2', 'g3'], SETS),
    (GLOBALS, SETS[:1]),
    (GLOBALS, SETS + SETS[:1]),
])
def test_join_refuses_other_counts(global_views, patch_sets):
    with pytest.raises(
            ValueError,
            match=f'got {len(global_views)} and {len(patch_sets)}'):
        join_views(global_views, patch_sets)


def test_split_names_the_expected_and_found_counts():
    with pytest.raises(
            ValueError,
            match=r'^DetCo expects 20 views per sample \(2 global views and 2 '
            r'sets of 9 patches.*got 8\.$'):
        split_views(FLAT, 9)
    with pytest.raises(ValueError, match='^Neck expects 8 views.*got 7'):
        split_views(FLAT[:7], 3, owner='Neck')


def test_split_names_the_type_of_what_is_not_a_list():
    with pytest.raises(ValueError, match='expects 8 views.*got Tensor'):
        split_views(torch.zeros(8, 3), 3)
    with pytest.raises(ValueError, match='got dict'):
        split_views(dict(enumerate(FLAT)), 3)
