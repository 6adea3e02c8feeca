# Copyright (c) mmdetco contributors. All rights reserved.
import numpy as np
from mmcv.transforms import BaseTransform

from ...compat import TRANSFORMS


@TRANSFORMS.register_module()
class JigsawPatches(BaseTransform):
    """Cut an image into a grid of cells and take a random crop of each.

    The jigsaw step of the DetCo (and PIRL) patch sets: a ``255 x 255`` crop
    is cut into a ``3 x 3`` grid of ``85 x 85`` cells, the cells are
    optionally shuffled, and a random ``64 x 64`` patch is taken from each.

    Required Keys:

    - img

    Modified Keys:

    - img (a list of ``grid_size ** 2`` patches, in output order)
    - img_shape

    Added Keys:

    - jigsaw_order (the grid cell, row-major, of every output patch)
    - jigsaw_boxes (``(x1, y1, x2, y2)`` of every output patch in the input)

    Args:
        grid_size (int): Number of cells along each side. Defaults to 3.
        patch_size (int): Side of the patch cropped from each cell.
            Defaults to 64.
        shuffle (bool): Shuffle the order of the patches. Defaults to True.
    """

    def __init__(self,
                 grid_size: int = 3,
                 patch_size: int = 64,
                 shuffle: bool = True) -> None:
        if grid_size < 1 or patch_size < 1:
            raise ValueError(
                f'JigsawPatches: `grid_size` ({grid_size}) and `patch_size` '
                f'({patch_size}) must be positive.')
        self.grid_size = grid_size
        self.patch_size = patch_size
        self.shuffle = shuffle

    def transform(self, results: dict) -> dict:
        """Cut ``results['img']`` into its jigsaw patches."""
        img = results['img']
        h, w = img.shape[:2]
        cell_h, cell_w = h // self.grid_size, w // self.grid_size
        if min(cell_h, cell_w) < self.patch_size:
            raise ValueError(
                f'JigsawPatches: a {h}x{w} image cut into a {self.grid_size}x'
                f'{self.grid_size} grid has {cell_h}x{cell_w} cells, smaller '
                f'than patch_size={self.patch_size}. Crop the image to at '
                f'least {self.grid_size * self.patch_size} pixels first.')
        num_cells = self.grid_size**2
        order = np.random.permutation(num_cells) if self.shuffle \
            else np.arange(num_cells)
        patches, boxes = [], []
        for cell in order:
            row, col = divmod(int(cell), self.grid_size)
            y = row * cell_h + np.random.randint(cell_h - self.patch_size + 1)
            x = col * cell_w + np.random.randint(cell_w - self.patch_size + 1)
            patches.append(img[y:y + self.patch_size, x:x + self.patch_size])
            boxes.append((x, y, x + self.patch_size, y + self.patch_size))
        results['img'] = patches
        results['img_shape'] = (self.patch_size, self.patch_size)
        results['jigsaw_order'] = order
        results['jigsaw_boxes'] = np.array(boxes, dtype=np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(grid_size={self.grid_size}, '
                f'patch_size={self.patch_size}, shuffle={self.shuffle})')
