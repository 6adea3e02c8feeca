# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Dict, Iterable, List, Tuple

import torch
from mmengine.dist import all_gather_object


def all_gather_by_index(indices: torch.Tensor, *tensors: torch.Tensor
                        ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """Gather the rows of every process's shard, in data set order.

    Every process receives every sample once.

    A distributed sampler gives each process a shard, possibly shuffled, and
    pads the shards to one length with repeated samples. With the data set
    index of every row, the rows of all processes are gathered
    (``mmengine.dist.all_gather_object``, through the CPU), sorted by index
    and, of a repeated index, the first row is kept. Without a process group
    it only sorts and drops the repeats.

    Args:
        indices (torch.Tensor): ``(N, )`` data set indices of this process's
            rows.
        *tensors (torch.Tensor): ``(N, ...)`` rows, one per index; the
            processes may hold different numbers of rows.

    Returns:
        tuple[torch.Tensor, list[torch.Tensor]]: The sorted unique indices of
        all processes and, for each of ``tensors``, their rows, on the
        devices they came from.
    """
    devices = [t.device for t in (indices, *tensors)]
    parts = all_gather_object([t.cpu() for t in (indices, *tensors)])
    gathered = [torch.cat(columns) for columns in zip(*parts)]
    order = gathered[0].argsort(stable=True)
    first = torch.ones_like(order, dtype=torch.bool)
    first[1:] = gathered[0][order[1:]] != gathered[0][order[:-1]]
    order = order[first]
    indices, *tensors = [
        rows[order].to(device) for rows, device in zip(gathered, devices)
    ]
    return indices, tensors


def _sample_idx(sample) -> int:
    """The data set index of ``sample``."""
    if 'sample_idx' not in sample:
        raise ValueError(
            'kNN features: a sample of the data loader has no `sample_idx`, '
            'which orders the features of all processes: keep '
            "'sample_idx' in the `meta_keys` of the pipeline's PackInputs "
            '(it is there by default).')
    return sample.sample_idx


@torch.no_grad()
def extract_features(model: torch.nn.Module,
                     dataloader: Iterable,
                     with_pixels: bool = False) -> Dict[str, torch.Tensor]:
    """Extract backbone features and labels of a labelled data set.

    For :func:`knn_classifier`.

    Every batch goes through the model's data preprocessor and backbone in
    eval mode (the model's mode is restored after); a sample's feature is
    the global average pool of the last feature map (res5). Under DDP each
    process embeds its shard and :func:`all_gather_by_index` (by the
    ``sample_idx`` that ``PackInputs`` keeps by default) gives every
    process the whole split.

    Args:
        model (torch.nn.Module): A model with ``data_preprocessor`` and
            ``backbone`` (not wrapped).
        dataloader (Iterable): Batches of samples with ``gt_label``, a
            single image each.
        with_pixels (bool): Also return the preprocessed images, flattened.
            Defaults to False.

    Returns:
        dict[str, torch.Tensor]: ``features`` ``(N, C)``, ``labels``
        ``(N, )`` (and ``pixels`` ``(N, 3 * H * W)``) of the ``N`` samples
        of the data set, in data set order, on the model's device.
    """
    features, pixels, labels, indices = [], [], [], []
    was_training = model.training
    model.eval()
    try:
        for data in dataloader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            features.append(model.backbone(inputs)[-1].mean(dim=(2, 3)))
            if with_pixels:
                pixels.append(inputs.flatten(1))
            # MMPretrain's DataSample holds a tensor, MMClassification's
            # ClsDataSample a LabelData
            labels += [
                getattr(s.gt_label, 'label', s.gt_label).cpu()
                for s in data['data_samples']
            ]
            indices += [_sample_idx(s) for s in data['data_samples']]
    finally:
        model.train(was_training)
    features = torch.cat(features)
    rows = dict(
        features=features, labels=torch.cat(labels).to(features.device))
    if with_pixels:
        rows['pixels'] = torch.cat(pixels)
    _, gathered = all_gather_by_index(torch.tensor(indices), *rows.values())
    return dict(zip(rows, gathered))
