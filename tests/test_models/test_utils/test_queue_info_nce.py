# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmdetco.models.utils import queue_info_nce


def reference(query, key, queue, tau):
    """Per-sample InfoNCE through plain autograd, as MoCo computes it."""
    logits = torch.cat([(query * key).sum(1, keepdim=True), query @ queue],
                       dim=1) / tau
    labels = torch.zeros(len(query), dtype=torch.long)
    return F.cross_entropy(logits, labels, reduction='none'), logits


def inputs(n=6, dim=8, k=20, seed=0):
    gen = torch.Generator().manual_seed(seed)
    query = F.normalize(torch.randn(n, dim, generator=gen, dtype=torch.double))
    key = F.normalize(torch.randn(n, dim, generator=gen, dtype=torch.double))
    queue = F.normalize(
        torch.randn(dim, k, generator=gen, dtype=torch.double), dim=0)
    return query, key, queue


def test_loss_logits_and_gradients_equal_autograd():
    query, key, queue = inputs()
    weights = torch.rand(len(query), dtype=torch.double)  # any upstream grad
    grads = []
    for fn in (reference, queue_info_nce):
        q = query.clone().requires_grad_()
        k = key.clone().requires_grad_()
        losses, logits = fn(q, k, queue, 0.2)
        (losses * weights).sum().backward()
        grads.append((losses.detach(), logits.detach(), q.grad, k.grad))
    for ref, fused in zip(*grads):
        torch.testing.assert_close(
            fused, ref, rtol=1e-5, atol=1e-6, check_dtype=False)


def test_queue_may_change_in_place_after_the_call():
    """The gradient is the one of the queue as it was at the call: the
    queue is updated in place before the backward pass without a copy."""
    query, key, queue = inputs()
    q = query.clone().requires_grad_()
    losses, _ = queue_info_nce(q, key, queue, 0.2)
    queue.mul_(-1)  # what an enqueue does to its columns, everywhere
    losses.mean().backward()
    expected = query.clone().requires_grad_()
    reference(expected, key, -queue, 0.2)[0].mean().backward()
    torch.testing.assert_close(q.grad, expected.grad, rtol=1e-5, atol=1e-6)


def test_fp32_under_autocast():
    query, key, queue = (t.float() for t in inputs(k=4096))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses, logits = queue_info_nce(query, key, queue, 0.2)
        # what the same matmul gives in bf16: three significant digits
        low = (query @ queue).dtype
    assert low == torch.bfloat16
    assert losses.dtype == logits.dtype == torch.float32
    ref, _ = reference(query.double(), key.double(), queue.double(), 0.2)
    assert losses.double() == pytest.approx(ref, rel=1e-5)
