# Copyright (c) mmdetco contributors. All rights reserved.
import copy
from typing import List

from mmcv.transforms import BaseTransform, Compose

from ...compat import TRANSFORMS
from ...utils import join_views


@TRANSFORMS.register_module()
class DetCoMultiView(BaseTransform):
    """The DetCo views of an image: 2 global views and 2 jigsaw patch sets.

    Each of the four is made independently from the original image: the
    global views by ``global_pipeline`` (MoCo v2 augmentation), the patch sets
    by ``patch_pipeline``, which must end with :class:`JigsawPatches` (PIRL:
    random resized crop, augmentation, cut into a grid, one random patch per
    cell).

    ``results['img']`` becomes a flat list of ``2 + 2 * num_patches`` images:
    global view 1, global view 2, the patches of set 1, the patches of set 2.
    Each entry is collated into its own batch, so ``SelfSupDataPreprocessor``
    normalises global views and patches alike, and :class:`DetCo` splits them
    again.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        global_pipeline (List[dict]): Transforms of a global view.
        patch_pipeline (List[dict]): Transforms of a patch set, ending with
            :class:`JigsawPatches`.
    """

    def __init__(self, global_pipeline: List[dict],
                 patch_pipeline: List[dict]) -> None:
        self.global_pipeline = self._compose(global_pipeline)
        self.patch_pipeline = self._compose(patch_pipeline)
        self._check_patch_sizes()

    def _check_patch_sizes(self) -> None:
        """Check at build time that the patch crop fits its jigsaw patches.
        """
        transforms = self.patch_pipeline.transforms
        # MMPretrain's crops give their output size as `scale`, MMSelfSup's
        # as `size` (its `scale` is the area range)
        crops = [
            getattr(t, 'size', None) or t.scale for t in transforms
            if type(t).__name__.endswith('RandomResizedCrop')
        ]
        jigsaws = [
            t for t in transforms if type(t).__name__ == 'JigsawPatches'
        ]
        if not crops or not jigsaws:
            return
        side = min(crops[-1])
        grid, patch = jigsaws[-1].grid_size, jigsaws[-1].patch_size
        if side // grid < patch:
            raise ValueError(
                f'DetCoMultiView: patch_pipeline crops to {side} px '
                f'(RandomResizedCrop), cut by JigsawPatches into '
                f'{grid} x {grid} cells of {side // grid} px, smaller than '
                f'its patch_size={patch}. Raise the crop size (`scale` in '
                f'MMPretrain, `size` in MMSelfSup) to at least '
                f'{grid * patch} or lower patch_size / grid_size.')

    @staticmethod
    def _compose(transforms: List[dict]) -> Compose:
        """Build transforms from mmdetco's codebase's registry.

        :mod:`mmdetco.compat`'s, whatever the default scope.
        """
        return Compose([
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in transforms
        ])

    def transform(self, results: dict) -> dict:
        """Make the views of ``results['img']``."""
        global_views = [
            self.global_pipeline(copy.deepcopy(results))['img']
            for _ in range(2)
        ]
        patch_sets = []
        for _ in range(2):
            patches = self.patch_pipeline(copy.deepcopy(results))['img']
            if not isinstance(patches, list):
                raise TypeError(
                    'DetCoMultiView: `patch_pipeline` must end with '
                    f'`JigsawPatches` and return a list of patches, got '
                    f'{type(patches).__name__}.')
            patch_sets.append(patches)
        results['img'] = join_views(global_views, patch_sets)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(global_pipeline='
                f'{self.global_pipeline}, patch_pipeline='
                f'{self.patch_pipeline})')
