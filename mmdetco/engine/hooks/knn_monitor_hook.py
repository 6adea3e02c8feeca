# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook

from ...compat import HOOKS
from ...evaluation import extract_features, knn_classifier
from ...utils import get_ori_model, global_rng_restored


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Online kNN accuracy of the backbone: is it learning anything useful?

    Every ``interval`` epochs (and before the first iteration), the query
    backbone in eval mode embeds a labelled data set: the global average pool
    of its last feature map (res5,
    :func:`~mmdetco.evaluation.extract_features`). Each sample of
    ``query_dataloader`` is classified by
    :func:`~mmdetco.evaluation.knn_classifier` (L2-normalised features)
    against those of ``dataloader``; without ``query_dataloader`` every
    sample of ``dataloader`` is classified by the others (leave-one-out).
    The top-1 accuracy (in %) is logged as ``knn/top1`` into the run's json
    log.

    With ``pixel_baseline`` the first evaluation also logs
    ``knn/top1_pixels``, the same kNN on the preprocessed pixels themselves
    (flattened, centred on the bank's mean, L2-normalised): the top-1 a
    backbone has to beat before its kNN top-1 says anything.

    Under DDP every process embeds its shard of each split; the features,
    labels (and pixels) of all processes are then gathered on every process
    in data set order, each sample once (by the ``sample_idx`` that
    ``PackInputs`` keeps by default), and every process runs the same kNN
    over the whole split: the top-1 is the one a single process computes.
    Each process then holds the whole split's features and, while the kNN
    runs, their similarity matrix (sizes: docs/en/training_health.md).

    A missing split does not stop the run: if building a data loader raises
    ``FileNotFoundError`` (e.g. ImageNet's ``val/`` or ``meta/val.txt`` is
    absent) on any process, a warning names the path and how to provide it
    or remove the hook, and the monitor is off for the run.

    Args:
        dataloader (dict): The labelled bank, a dataloader config (samples
            with ``gt_label``, a single image each).
        query_dataloader (dict, optional): The samples to classify.
            Defaults to None (leave-one-out on ``dataloader``).
        k (int): Number of neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        interval (int): Evaluate every ``interval`` epochs, and after the
            last. Defaults to 1.
        eval_at_start (bool): Also evaluate the initial weights, before the
            first iteration of a run that starts from scratch.
            Defaults to True.
        pixel_baseline (bool): Also log ``knn/top1_pixels`` at the first
            evaluation. It keeps every image of both splits as a vector, so
            it suits small splits (the demo's 64 px crops), not ImageNet's
            val. Defaults to False.
        skip_if_missing (bool): Turn the monitor off, with a warning, when a
            split's files are missing; with False the ``FileNotFoundError``
            stops the run before its first iteration. Defaults to True.
    """

    priority = 'LOW'

    def __init__(self,
                 dataloader: dict,
                 query_dataloader: Optional[dict] = None,
                 k: int = 20,
                 temperature: float = 0.07,
                 interval: int = 1,
                 eval_at_start: bool = True,
                 pixel_baseline: bool = False,
                 skip_if_missing: bool = True) -> None:
        if k < 1 or interval < 1 or temperature <= 0:
            raise ValueError(
                f'KNNMonitorHook: `k` ({k}) and `interval` ({interval}) '
                f'must be >= 1 and `temperature` ({temperature}) > 0.')
        self.dataloader_cfg = dataloader
        self.query_dataloader_cfg = query_dataloader
        self.k = k
        self.temperature = temperature
        self.interval = interval
        self.eval_at_start = eval_at_start
        self.pixel_baseline = pixel_baseline
        self.skip_if_missing = skip_if_missing
        self._pixels_logged = False
        # None while the monitor is off
        self.dataloader = self.query_dataloader = None

    def before_train(self, runner) -> None:
        """Build the data loaders and evaluate the initial weights.

        A missing split turns the monitor off.
        """
        loaders, missing = {}, None
        try:
            for field, cfg in (('dataloader', self.dataloader_cfg),
                               ('query_dataloader',
                                self.query_dataloader_cfg)):
                loaders[field] = None if cfg is None else \
                    runner.build_dataloader(cfg, seed=runner.seed)
        except FileNotFoundError as error:
            if not self.skip_if_missing:
                raise
            missing = (field, osp.normpath(error.filename)
                       if error.filename else str(error))
        # off on every process if a split is missing on any: the processes
        # evaluate together
        missing = [m for m in all_gather_object(missing) if m is not None]
        if missing:
            field, path = missing[0]
            runner.logger.warning(
                f'KNNMonitorHook is off for this run, no knn/top1 will be '
                f'logged: {path} (read by its `{field}`) does not exist. To '
                'monitor, provide that split (for ImageNet: val/ and '
                'meta/val.txt under the data root, see '
                f'docs/en/dataset_prepare.md) or point `{field}.dataset` at '
                'another labelled split; to go without it, remove '
                'KNNMonitorHook from `custom_hooks`. With '
                'skip_if_missing=False a missing split stops the run.')
            return
        self.dataloader = loaders['dataloader']
        self.query_dataloader = loaders['query_dataloader']
        if self.eval_at_start and runner.iter == 0:
            self.evaluate(runner)

    def after_train_epoch(self, runner) -> None:
        """Evaluate every ``interval`` epochs and after the last."""
        if self.dataloader is not None and (self.every_n_epochs(
                runner, self.interval) or self.is_last_train_epoch(runner)):
            self.evaluate(runner)

    def knn_top1(self,
                 bank: Dict[str, torch.Tensor],
                 queries: Optional[Dict[str, torch.Tensor]],
                 key: str = 'features') -> float:
        """The kNN top-1 (in %) of ``queries`` against ``bank``.

        With this hook's ``k`` and ``temperature``, on the ``key`` rows of
        both (from :func:`~mmdetco.evaluation.extract_features`);
        leave-one-out on ``bank`` without ``queries``. ``pixels`` are
        centred on the bank's mean.
        """
        test = (None, None) if queries is None else (queries[key],
                                                     queries['labels'])
        return knn_classifier(
            bank[key],
            bank['labels'],
            *test,
            k=self.k,
            temperature=self.temperature,
            center=key == 'pixels')

    def evaluate(self, runner) -> float:
        """Compute, log and return the kNN top-1 accuracy (in %)."""
        model = get_ori_model(runner.model)
        with_pixels = self.pixel_baseline and not self._pixels_logged
        # iterating a data loader draws from the global generator: restored,
        # so that an evaluation (or its absence) leaves the run as it was
        with global_rng_restored():
            bank = extract_features(model, self.dataloader, with_pixels)
            queries = None if self.query_dataloader is None else \
                extract_features(model, self.query_dataloader, with_pixels)
        num_samples = len((queries or bank)['labels'])
        scalars = dict(top1=self.knn_top1(bank, queries))
        if with_pixels:
            scalars['top1_pixels'] = self.knn_top1(bank, queries, 'pixels')
            self._pixels_logged = True
        runner.logger.info(
            f'kNN (k={self.k}, {num_samples} samples) at iteration '
            f'{runner.iter}: ' + ', '.join(f'knn/{name} {value:.2f}'
                                           for name, value in scalars.items()))
        if is_main_process():
            runner.visualizer.add_scalars(
                {
                    **{
                        f'knn/{name}': value
                        for name, value in scalars.items()
                    }, 'epoch': runner.epoch,
                    'iter': runner.iter
                },
                step=runner.iter,
                file_path=f'{runner.timestamp}.json')
        return scalars['top1']
