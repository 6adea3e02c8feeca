# Copyright (c) mmdetco contributors. All rights reserved.
import mmcv
import numpy as np

from ...compat import TRANSFORMS, RandomResizedCrop


@TRANSFORMS.register_module()
class FastRandomResizedCrop(RandomResizedCrop):
    """``RandomResizedCrop`` without its slow copy.

    MMPretrain's, or MMClassification's with MMSelfSup, with the same crop
    parameters and output, pixel for pixel: the crop is made contiguous
    before it is resized, so that the ``pillow`` backend reads it as a
    buffer instead of copying the strided view element by element
    (docs/en/performance.md).

    Required Keys:

    - img

    Modified Keys:

    - img
    - img_shape

    Args:
        **kwargs: The arguments of ``RandomResizedCrop``.
    """

    def transform(self, results: dict) -> dict:
        """Crop ``results['img']`` at random and resize the crop."""
        img = results['img']
        top, left, height, width = self.rand_crop_params(img)
        crop = np.ascontiguousarray(img[top:top + height, left:left + width])
        img = mmcv.imresize(
            crop,
            tuple(self.scale[::-1]),
            interpolation=self.interpolation,
            backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape
        return results
