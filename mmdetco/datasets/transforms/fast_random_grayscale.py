# Copyright (c) mmdetco contributors. All rights reserved.
import cv2
import numpy as np
from mmcv.transforms import RandomGrayscale

from ...compat import TRANSFORMS


@TRANSFORMS.register_module()
class FastRandomGrayscale(RandomGrayscale):
    """``RandomGrayscale`` of a 3-channel image, in float32.

    The same operation and random draw as mmcv's ``RandomGrayscale`` (the
    weighted channel sum, truncated to ``uint8``), computed in float32
    instead of float64: outputs differ by at most one grey level, rarely.
    Images that are not 3-channel ``uint8`` BGR/RGB go to mmcv's
    implementation. Timings: docs/en/performance.md.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        prob (float): Probability of the conversion. Defaults to 0.1.
        keep_channels (bool): Keep 3 channels (copies of the grey one).
            Defaults to False.
        channel_weights (Sequence[float]): Weight of each channel, in the
            image's channel order. Defaults to ``(1., 1., 1.)``.
        color_format (str): ``'bgr'``, ``'rgb'`` or ``'hsv'``.
            Defaults to ``'bgr'``.
    """

    def transform(self, results: dict) -> dict:
        """Convert ``results['img']`` to grey with probability ``prob``."""
        img = results['img']
        if (img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8
                or self.color_format == 'hsv'
                or len(self.channel_weights) != 3):
            return super().transform(results)
        if self._random_prob() < self.prob:
            weights = np.asarray(self.channel_weights, dtype=np.float32)
            grey = (img @ (weights / weights.sum())).astype(np.uint8)
            results['img'] = cv2.merge([grey] * 3) if self.keep_channels \
                else grey
        return results
