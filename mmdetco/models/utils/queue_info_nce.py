# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Tuple

import torch


class _QueueInfoNCE(torch.autograd.Function):
    """InfoNCE against a queue, its gradient computed in the forward pass.

    Neither the queue nor the ``(N, 1 + K)`` logits are kept for the
    backward pass.
    """

    @staticmethod
    def forward(ctx, query, key, queue, temperature):
        q, k, queue = query.float(), key.float(), queue.float()
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue],
                           dim=1) / temperature
        # the cross-entropy with the positive (column 0) as the label
        log_prob = logits.log_softmax(dim=1)
        losses = -log_prob[:, 0]
        ctx.mark_non_differentiable(logits)
        if not any(ctx.needs_input_grad[:2]):
            return losses, logits
        # d loss_n / d logits_n = softmax_n - one_hot(0), and the logits are
        # [q . k, q^T queue] / temperature
        grad = log_prob.exp_()
        grad[:, 0] -= 1
        grad /= temperature
        grad_q = grad[:, :1] * k + grad[:, 1:] @ queue.t()
        grad_k = grad[:, :1] * q
        ctx.save_for_backward(grad_q.to(query.dtype), grad_k.to(key.dtype))
        return losses, logits

    @staticmethod
    def backward(ctx, grad_losses, grad_logits):
        grad_q, grad_k = ctx.saved_tensors
        grad_losses = grad_losses.unsqueeze(1)
        return grad_losses * grad_q, grad_losses * grad_k, None, None


def queue_info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor,
                   temperature: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """InfoNCE loss against a positive key and a queue of negatives.

    Computed in fp32, also under mixed precision.

    ``loss_n = CE([q_n . k_n, q_n^T queue] / tau, 0)``; MoCo's loss is their
    mean. The gradient is computed with the losses, so the queue may be
    updated in place right after this call (no copy of it is needed) and the
    logits are not kept for the backward pass.

    Args:
        query (torch.Tensor): ``(N, D)`` L2-normalised queries.
        key (torch.Tensor): ``(N, D)`` L2-normalised positive keys.
        queue (torch.Tensor): ``(D, K)`` negative keys (no gradient).
        temperature (float): The temperature tau.

    Returns:
        tuple: The ``(N,)`` losses and the detached ``(N, 1 + K)`` fp32
        logits, the positive first.
    """
    with torch.autocast(query.device.type, enabled=False):
        return _QueueInfoNCE.apply(query, key, queue.detach(), temperature)
