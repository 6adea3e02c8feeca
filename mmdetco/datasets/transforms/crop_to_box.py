# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np
from mmcv.transforms import BaseTransform

from ...compat import TRANSFORMS


@TRANSFORMS.register_module()
class CropToBox(BaseTransform):
    """Cut ``results['crop_bbox']``, widened by a margin, out of the image.

    Required Keys:

    - img
    - crop_bbox (``x1, y1, x2, y2`` in pixels)

    Modified Keys:

    - img
    - img_shape

    Args:
        padding (float): Margin added on every side, as a fraction of the box
            side. Defaults to 0.1.
    """

    def __init__(self, padding: float = 0.1) -> None:
        if padding < 0:
            raise ValueError(
                f'CropToBox: `padding` must be >= 0, got {padding}.')
        self.padding = padding

    def transform(self, results: dict) -> dict:
        """Crop ``results['img']`` to its box."""
        img = results['img']
        x1, y1, x2, y2 = np.asarray(results['crop_bbox'], dtype=np.float64)
        pad_x, pad_y = (x2 - x1) * self.padding, (y2 - y1) * self.padding
        h, w = img.shape[:2]
        x1, y1 = max(0, int(x1 - pad_x)), max(0, int(y1 - pad_y))
        x2 = min(w, int(np.ceil(x2 + pad_x)))
        y2 = min(h, int(np.ceil(y2 + pad_y)))
        if x2 <= x1 or y2 <= y1:
            raise ValueError(
                f'CropToBox: box {results["crop_bbox"]} lies outside the '
                f'{h}x{w} image {results.get("img_path", "")}.')
        results['img'] = img[y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(padding={self.padding})'
