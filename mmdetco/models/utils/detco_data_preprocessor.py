# Copyright (c) mmdetco contributors. All rights reserved.
from typing import Optional

import torch

from ...compat import MODELS, SelfSupDataPreprocessor
from ...utils import patches_per_set
from .view_augmentation import DetCoViewAugmentation


@MODELS.register_module()
class DetCoDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` with optional on-device view augmentation.

    With ``augmentation`` set, the colour jitter, greyscale and blur of the
    views run here in training, batched on the model's device, after the
    BGR -> RGB conversion and before the normalisation; the CPU pipeline
    then only decodes, crops, flips and cuts the patches (the ``*_gpuaug.py``
    configs). Without ``augmentation`` (and outside
    training) it is ``SelfSupDataPreprocessor`` (MMPretrain's or MMSelfSup's,
    see :mod:`mmdetco.compat`).

    Args:
        augmentation (dict, optional): The arguments of
            :class:`DetCoViewAugmentation`. Defaults to None.
        **kwargs: The arguments of ``SelfSupDataPreprocessor``.
    """

    def __init__(self, augmentation: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if augmentation is not None and not self._channel_conversion:
            raise ValueError(
                'DetCoDataPreprocessor: `augmentation` works on RGB images; '
                'set `bgr_to_rgb=True` (the pipeline loads BGR).')
        self.augmentation = None if augmentation is None else \
            DetCoViewAugmentation(**augmentation)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Cast, convert to RGB, augment (in training) and normalise.

        Returns:
            dict: ``inputs`` (the list of views, or the tensor of a batch of
            single images) and ``data_samples``, with MMPretrain and with
            MMSelfSup (whose preprocessor returns them as a tuple).
        """
        if not (training and self.augmentation is not None):
            return self._preprocess(data, training)
        normalize, self._enable_normalize = self._enable_normalize, False
        try:
            data = self._preprocess(data, training)
        finally:
            self._enable_normalize = normalize
        views = data['inputs']
        views = self.augmentation(views, patches_per_set(views))
        if normalize:
            views = [(view - self.mean) / self.std for view in views]
        return dict(inputs=views, data_samples=data['data_samples'])

    def _preprocess(self, data: dict, training: bool) -> dict:
        """``SelfSupDataPreprocessor.forward``, as a dict.

        A batch of single images (e.g. of the kNN monitor) goes through as a
        list of one view, as MMSelfSup's preprocessor takes only lists, and
        comes back as a tensor, as MMPretrain's returns it.
        """
        single = isinstance(data['inputs'], torch.Tensor)
        if single:
            data = dict(data, inputs=[data['inputs']])
        data = super().forward(data, training)
        if isinstance(data, tuple):
            inputs, data_samples = data
            data = dict(inputs=inputs, data_samples=data_samples)
        if single and isinstance(data['inputs'], (list, tuple)):
            data['inputs'] = data['inputs'][0]
        return data
