# Copyright (c) mmdetco contributors. All rights reserved.
from mmengine.dist import get_world_size
from mmengine.hooks import Hook

from ...compat import HOOKS
from ...utils import get_ori_model


@HOOKS.register_module()
class DetCoQueueCheckHook(Hook):
    """Check, before the first iteration, that the queues can be filled.

    A queue of a momentum-contrast model (``model.queue_len``) receives the
    keys of the whole global batch at every step, so ``queue_len`` must be a
    multiple of ``batch_size x world_size`` and every batch must be full
    (``drop_last=True``). Otherwise the run would stop at its first (or last)
    iteration; this hook stops it before any work is done, naming the fields
    to change.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Check that the queue fits the global batch, and log the batch.

        Raises:
            ValueError: If the queue length is not a multiple of the global
                batch size.
        """
        model = get_ori_model(runner.model)
        queue_len = getattr(model, 'queue_len', None)
        if queue_len is None:
            return
        loader = runner.train_dataloader
        global_batch = loader.batch_size * get_world_size()
        if queue_len % global_batch:
            raise ValueError(
                f'`model.queue_len` ({queue_len}) must be a multiple of the '
                f'global batch size ({global_batch} = '
                f'train_dataloader.batch_size {loader.batch_size} x '
                f'{get_world_size()} processes). Change `model.queue_len` or '
                '`train_dataloader.batch_size`.')
        if not loader.drop_last:
            raise ValueError(
                'A momentum-contrast queue needs full batches: set '
                '`train_dataloader.drop_last=True`.')
        runner.logger.info(
            f'Queues of {queue_len} keys; every step enqueues the keys of '
            f'the global batch of {global_batch} = {loader.batch_size} x '
            f'{get_world_size()} processes.')
