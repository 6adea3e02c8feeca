# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import is_main_process
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
    """

    priority = 'LOW'

    def __init__(self,
                 dataloader: dict,
                 query_dataloader: Optional[dict] = None,
                 k: int = 20,
                 temperature: float = 0.07,
                 interval: int = 1,
                 eval_at_start: bool = True,
                 pixel_baseline: bool = False) -> None:
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
        self._pixels_logged = False

    def before_train(self, runner) -> None:
        """Build the data loaders; evaluate the initial weights."""
        self.dataloader = runner.build_dataloader(
            self.dataloader_cfg, seed=runner.seed)
        self.query_dataloader = None if self.query_dataloader_cfg is None \
            else runner.build_dataloader(
                self.query_dataloader_cfg, seed=runner.seed)
        if self.eval_at_start and runner.iter == 0:
            self.evaluate(runner)

    def after_train_epoch(self, runner) -> None:
        """Evaluate every ``interval`` epochs and after the last."""
        if self.every_n_epochs(runner, self.interval) or \
                self.is_last_train_epoch(runner):
            self.evaluate(runner)

    @torch.no_grad()
    def _embed(
        self, model, dataloader, embeds: Dict[str, Callable]
    ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """Every feature ``embeds`` computes from the preprocessed images of
        ``dataloader``, in one pass, and the labels."""
        feats = {name: [] for name in embeds}
        labels = []
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
        feats = {name: torch.cat(f) for name, f in feats.items()}
        return feats, torch.cat(labels).to(next(iter(feats.values())).device)

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
