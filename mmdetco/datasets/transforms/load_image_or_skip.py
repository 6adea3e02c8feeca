# Copyright (c) mmdetco contributors. All rights reserved.
import logging
from typing import Optional

import mmcv
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log

from ...compat import TRANSFORMS

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'


@TRANSFORMS.register_module()
class LoadImageOrSkip(LoadImageFromFile):
    """Load an image; skip it, with a warning, if it cannot be read.

    A long pre-training run should not die at hour 40 on one bad file. An
    image that cannot be read (missing, not an image, a JPEG without its
    end-of-image marker, undecodable) makes :meth:`transform` return None,
    so that the data set draws another sample in its place (mmengine's
    ``BaseDataset`` does so up to ``max_refetch`` times in a row). Every
    skipped file is logged with its path and the count so far; past
    ``max_skipped`` skipped files in one process (each data-loader worker
    counts its own) the run stops with an error naming the last one, as
    the data set is then more broken than a few bad files.

    Greyscale, RGBA and 16-bit images are readable: with
    ``color_type='color'`` they are decoded to 8-bit 3-channel images.

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        max_skipped (int): How many unreadable images one process may skip
            before it raises. Defaults to 100.
        **kwargs: The arguments of :class:`mmcv.transforms.LoadImageFromFile`
            (``ignore_empty`` is this transform's behaviour and is not
            accepted).
    """

    def __init__(self, max_skipped: int = 100, **kwargs) -> None:
        if 'ignore_empty' in kwargs:
            raise TypeError('LoadImageOrSkip always skips unreadable images; '
                            'remove `ignore_empty`.')
        super().__init__(**kwargs)
        self.max_skipped = max_skipped
        self.skipped = 0

    def _read(self, path: str):
        """The decoded image of ``path``; raises if it is unreadable."""
        img_bytes = fileio.get(path, backend_args=self.backend_args)
        if img_bytes.startswith(JPEG_START) and \
                not img_bytes.rstrip(b'\0').endswith(JPEG_END):
            raise ValueError('truncated JPEG (no end-of-image marker)')
        img = mmcv.imfrombytes(
            img_bytes, flag=self.color_type, backend=self.imdecode_backend)
        if img is None:
            raise ValueError('not a decodable image')
        return img

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``, or return None to skip it."""
        path = results['img_path']
        try:
            img = self._read(path)
        except Exception as exc:  # what can go wrong in reading is open
            self.skipped += 1
            if self.skipped > self.max_skipped:
                raise RuntimeError(
                    f'{self.skipped} unreadable images in this process, more '
                    f'than LoadImageOrSkip max_skipped={self.max_skipped}; '
                    f'the last: {path} ({exc}). Check the data set, or raise '
                    '`max_skipped` in the training pipeline.') from exc
            print_log(
                f'Skipped unreadable image {path} ({exc}); another sample '
                f'replaces it ({self.skipped} skipped in this process, at '
                f'most {self.max_skipped}).',
                logger='current',
                level=logging.WARNING)
            return None
        if self.to_float32:
            img = img.astype('float32')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_skipped={self.max_skipped}, '
                f'color_type={self.color_type!r}, '
                f'imdecode_backend={self.imdecode_backend!r})')
