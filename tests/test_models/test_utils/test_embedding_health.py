# Copyright (c) mmdetco contributors. All rights reserved.
import math

import pytest
import torch

from mmdetco.models.utils import (contrastive_top1, embedding_spread,
                                  healthy_spread, positive_cosine)


def unit(*shape):
    return torch.nn.functional.normalize(torch.randn(*shape), dim=-1)


def test_spread_is_zero_when_collapsed_and_one_over_sqrt_d_when_spread():
    torch.manual_seed(0)
    one = unit(1, 128)
    assert embedding_spread(one.repeat(64, 1)).item() == pytest.approx(
        0, abs=1e-6)
    spread = embedding_spread(unit(4096, 128)).item()
    assert spread == pytest.approx(1 / math.sqrt(128), rel=0.02)
    assert healthy_spread(128) == pytest.approx(1 / math.sqrt(128))
    # one direction scaled per image is still a collapse after normalisation
    scaled = torch.nn.functional.normalize(
        torch.rand(64, 1) * one + 1e-4 * torch.randn(64, 128), dim=1)
    assert embedding_spread(scaled).item() < 0.01 * healthy_spread(128)
    with pytest.raises(ValueError, match='N >= 2'):
        embedding_spread(one)


def test_positive_cosine():
    q = unit(8, 16)
    assert positive_cosine(q, q).item() == pytest.approx(1)
    assert positive_cosine(q, -q).item() == pytest.approx(-1)


def test_contrastive_top1_counts_positives_that_beat_every_negative():
    logits = torch.tensor([[5., 1., 2.], [1., 3., 0.], [2., 2., 0.],
                           [0., -1., -2.]])
    # row 2 is a tie: the positive does not outrank every negative
    assert contrastive_top1(logits).item() == pytest.approx(50.)
