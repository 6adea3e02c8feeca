# Copyright (c) mmdetco contributors. All rights reserved.
"""Which training iterations are logged."""
from mmengine.hooks import LoggerHook


def logs_after_iter(runner, batch_idx: int) -> bool:
    """Whether the runner's ``LoggerHook`` logs after an iteration.

    mmengine's own rule: every ``interval`` iterations of an epoch and at
    its end. Every process gets the same answer, so a collective may
    depend on it.

    Args:
        runner (Runner): The runner.
        batch_idx (int): The training iteration in the epoch.

    Returns:
        bool: Whether it is logged; True without a ``LoggerHook``.
    """
    logger = next((h for h in runner.hooks if isinstance(h, LoggerHook)), None)
    if logger is None or logger.every_n_inner_iters(batch_idx,
                                                    logger.interval):
        return True
    loader = runner.train_dataloader
    return logger.end_of_epoch(
        loader, batch_idx) and (not logger.ignore_last
                                or len(loader) <= logger.interval)
