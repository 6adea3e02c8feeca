# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...compat import HOOKS
from ...utils import global_rng_restored


@torch.no_grad()
def knn_predict(bank: torch.Tensor,
                bank_labels: torch.Tensor,
                queries: torch.Tensor,
                num_classes: int,
                k: int = 20,
                temperature: float = 0.07,
                exclude_self: bool = False) -> torch.Tensor:
    """Weighted k-nearest-neighbour classification (InstDisc).

    Each query takes its ``k`` most cosine-similar bank entries; a neighbour
    with similarity ``s`` votes for its label with weight
    ``exp(s / temperature)``, and the label with the largest total wins.

    Args:
        bank (torch.Tensor): ``(M, D)`` L2-normalised labelled features.
        bank_labels (torch.Tensor): ``(M, )`` their labels.
        queries (torch.Tensor): ``(N, D)`` L2-normalised features.
        num_classes (int): Number of labels.
        k (int): Number of neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        exclude_self (bool): The queries are the bank (``N == M``): leave
            every sample out of its own neighbours. Defaults to False.

    Returns:
        torch.Tensor: ``(N, )`` predicted labels.
    """
    similarity = queries @ bank.T
    if exclude_self:
        similarity.fill_diagonal_(-float('inf'))
    k = min(k, bank.shape[0] - int(exclude_self))
    top_sim, top_idx = similarity.topk(k, dim=1)
    votes = torch.zeros(queries.shape[0], num_classes, device=queries.device)
    votes.scatter_add_(1, bank_labels[top_idx], (top_sim / temperature).exp())
    return votes.argmax(dim=1)


def _all_gather_rows(rows: torch.Tensor, sizes: List[int]) -> torch.Tensor:
    """The rows of every process concatenated in rank order, the ``i``-th
    process holding ``sizes[i]`` of them."""
    padded = rows.new_zeros((max(sizes), *rows.shape[1:]))
    padded[:len(rows)] = rows
    return torch.cat(
        [part[:size] for part, size in zip(all_gather(padded), sizes)])


def all_gather_by_index(indices: torch.Tensor, *tensors: torch.Tensor
                        ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """The rows that every process computed on its shard of a data set, on
    every process, in data set order, each sample once.

    A distributed sampler gives each process a shard, possibly shuffled, and
    pads the shards to one length with repeated samples. With the data set
    index of every row, the rows of all processes are gathered, sorted by
    index and, of a repeated index, the first row is kept. Without a process
    group it only sorts and drops the repeats.

    Args:
        indices (torch.Tensor): ``(N, )`` data set indices of this process's
            rows.
        *tensors (torch.Tensor): ``(N, ...)`` rows, one per index; the
            processes may hold different numbers of rows.

    Returns:
        tuple[torch.Tensor, list[torch.Tensor]]: The sorted unique indices of
        all processes and, for each of ``tensors``, their rows.
    """
    sizes = [
        int(size) for size in all_gather(
            torch.tensor([len(indices)], device=indices.device))
    ]
    indices = _all_gather_rows(indices, sizes)
    order = indices.argsort(stable=True)
    first = torch.ones_like(order, dtype=torch.bool)
    first[1:] = indices[order[1:]] != indices[order[:-1]]
    order = order[first]
    return indices[order], [
        _all_gather_rows(rows, sizes)[order] for rows in tensors
    ]


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Online kNN accuracy of the backbone: is it learning anything useful?

    Every ``interval`` epochs (and before the first iteration), the query
    backbone in eval mode embeds a labelled data set: the global average pool
    of its last feature map (res5), L2-normalised. Each sample of
    ``query_dataloader`` is classified by :func:`knn_predict` against those
    of ``dataloader``; without ``query_dataloader`` every sample of
    ``dataloader`` is classified by the others (leave-one-out). The top-1
    accuracy (in %) is logged as ``knn/top1`` into the run's json log.

    With ``pixel_baseline`` the first evaluation also logs
    ``knn/top1_pixels``, the same kNN on the preprocessed pixels themselves
    (flattened, centred on the bank's mean, L2-normalised): the figure a
    backbone has to beat before its kNN top-1 says anything.

    Under DDP every process embeds its shard of each split; the features,
    labels (and pixels) of all processes are then gathered on every process
    in data set order, each sample once (:func:`all_gather_by_index`, by the
    ``sample_idx`` that ``PackInputs`` keeps by default), and every process
    runs the same kNN over the whole split: the figure is the one a single
    process computes. Each process then holds the whole split's features:
    the ImageNet configs' 10,000 val images at 2048-d take 82 MB (up to
    three times that for a moment while they are gathered), their
    similarity matrix 400 MB more while the kNN runs.

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
        """Build the data loaders (or turn the monitor off if a split is
        missing); evaluate the initial weights."""
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

    @staticmethod
    def _sample_idx(sample) -> int:
        """The data set index of ``sample``."""
        if 'sample_idx' not in sample:
            raise ValueError(
                'KNNMonitorHook: a sample of its data loaders has no '
                '`sample_idx`, which orders the features of all processes: '
                "keep 'sample_idx' in the `meta_keys` of the pipeline's "
                'PackInputs (it is there by default).')
        return sample.sample_idx

    @torch.no_grad()
    def _embed(
        self, model, dataloader, embeds: Dict[str, Callable]
    ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """Every feature ``embeds`` computes from the preprocessed images of
        ``dataloader``, in one pass, and the labels: those of all processes,
        in data set order."""
        feats = {name: [] for name in embeds}
        labels, indices = [], []
        for data in dataloader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            for name, embed in embeds.items():
                feats[name].append(embed(inputs))
            # MMPretrain's DataSample holds a tensor, MMClassification's
            # ClsDataSample a LabelData
            labels.append(
                torch.cat([
                    getattr(s.gt_label, 'label', s.gt_label)
                    for s in data['data_samples']
                ]))
            indices.append(
                torch.tensor(
                    [self._sample_idx(s) for s in data['data_samples']]))
        feats = {name: torch.cat(f) for name, f in feats.items()}
        device = next(iter(feats.values())).device
        _, (labels, *rows) = all_gather_by_index(
            torch.cat(indices).to(device),
            torch.cat(labels).to(device), *feats.values())
        return dict(zip(feats, rows)), labels

    def _top1(self, model,
              embeds: Dict[str, Callable]) -> Tuple[Dict[str, float], int]:
        """The kNN top-1 (in %) of every feature ``embeds`` computes
        (``pixels`` centred on the bank's mean first), and the number of
        samples classified."""
        bank, bank_labels = self._embed(model, self.dataloader, embeds)
        if self.query_dataloader is None:
            queries, labels = bank, bank_labels
        else:
            queries, labels = self._embed(model, self.query_dataloader, embeds)
        num_classes = int(max(bank_labels.max(), labels.max())) + 1
        top1 = {}
        for name in embeds:
            b, q = bank[name], queries[name]
            if name == 'pixels':
                b, q = b - b.mean(dim=0), q - b.mean(dim=0)
            pred = knn_predict(
                F.normalize(b, dim=1), bank_labels, F.normalize(q, dim=1),
                num_classes, self.k, self.temperature, self.query_dataloader
                is None)
            top1[name] = float((pred == labels).float().mean() * 100)
        return top1, len(labels)

    def evaluate(self, runner) -> float:
        """Compute, log and return the kNN top-1 accuracy (in %)."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        was_training = model.training
        model.eval()
        # iterating a data loader draws from the global generator: restored,
        # so that an evaluation (or its absence) leaves the run as it was
        with global_rng_restored():
            try:
                embeds = dict(
                    backbone=lambda x: model.backbone(x)[-1].mean(dim=(2, 3)))
                if self.pixel_baseline and not self._pixels_logged:
                    embeds['pixels'] = lambda x: x.flatten(1)
                top1, num_samples = self._top1(model, embeds)
            finally:
                model.train(was_training)
        scalars = dict(top1=top1['backbone'])
        if 'pixels' in top1:
            scalars['top1_pixels'] = top1['pixels']
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
