# Copyright (c) mmdetco contributors. All rights reserved.
import math
from typing import Dict, List, Optional, Sequence

import kornia.augmentation as K
import torch
import torch.nn as nn
from kornia.enhance import (adjust_brightness_accumulative,
                            adjust_contrast_with_mean_subtraction, adjust_hue,
                            adjust_saturation_with_gray_subtraction)
from mmengine.dist import get_rank

from ...utils import join_views, split_views

# the parameters of kornia's blur drawn per image (the others per call)
_PER_IMAGE = ('sigma', 'batch_prob')


def _repeat_per_image(params: Dict[str, torch.Tensor], repeats: int,
                      shape: torch.Size) -> Dict[str, torch.Tensor]:
    """Repeat the per-image parameters of a kornia augmentation ``repeats``
    times each, for an input of ``shape``."""
    params = {
        name:
        value.repeat_interleave(repeats, 0) if name in _PER_IMAGE else value
        for name, value in params.items()
    }
    params['forward_input_shape'] = torch.tensor(
        shape, device=params['forward_input_shape'].device)
    return params


#: The four steps of kornia's ``ColorJitter`` (torchvision's formulas), in
#: its order of the factors: brightness, contrast, saturation, hue (turns).
_STEPS = (adjust_brightness_accumulative,
          adjust_contrast_with_mean_subtraction,
          adjust_saturation_with_gray_subtraction,
          lambda x, turns: adjust_hue(x, turns * 2 * math.pi))


class DetCoViewAugmentation(nn.Module):
    """The colour jitter, greyscale and blur of the DetCo views, batched on
    the device (kornia), with independent random parameters per image and
    per view.

    The same operations, probabilities and ranges as MMPretrain's
    ``RandomApply([ColorJitter])``, ``RandomGrayscale`` and ``GaussianBlur``
    of the CPU pipeline (see ``gpu_aug_data_preprocessor`` in
    ``configs/_base_/datasets/imagenet_bs32_detco.py``):

    - colour jitter: brightness, contrast, saturation and hue factors drawn
      per image by kornia's ``ColorJitter``, applied in an order drawn per
      image (as on the CPU; kornia alone draws one order per batch);
    - greyscale with the given RGB weights;
    - Gaussian blur with a sigma drawn uniformly per image, edge pixels
      replicated (as PIL does).

    A patch set is one image cropped once and cut into patches, so its
    patches share one draw: colour and greyscale are applied to the set's
    patches side by side as one image (contrast blends with the mean of the
    set's patches, on the CPU with that of the whole crop), and the blur
    with the set's sigma to each patch alone (at patch borders edge pixels
    are replicated instead of the crop's neighbouring pixels).

    It runs in fp32 (also under ``--amp``) and every process draws its own
    parameters (from a seed of the global generator plus its rank), as the
    data workers of the CPU path do.

    Args:
        color_jitter (dict, optional): ``brightness``, ``contrast``,
            ``saturation``, ``hue`` (as in ``ColorJitter``) and ``prob``.
        grayscale (dict, optional): ``prob`` and ``rgb_weights``.
        blur (dict, optional): ``sigma_range`` ``(min, max)``, ``prob`` and
            optionally ``kernel_size`` (default ``2 * ceil(3 * max) + 1``).
    """

    def __init__(self,
                 color_jitter: Optional[dict] = None,
                 grayscale: Optional[dict] = None,
                 blur: Optional[dict] = None) -> None:
        super().__init__()
        self.color_jitter = self.grayscale = self.blur = None
        if color_jitter is not None:
            cfg = dict(color_jitter)
            self.color_jitter = K.ColorJitter(p=cfg.pop('prob'), **cfg)
        if grayscale is not None:
            self.grayscale = K.RandomGrayscale(
                rgb_weights=torch.tensor(grayscale['rgb_weights']),
                p=grayscale['prob'])
        if blur is not None:
            low, high = blur['sigma_range']
            kernel = blur.get('kernel_size', 2 * math.ceil(3 * high) + 1)
            self.blur = K.RandomGaussianBlur(
                kernel, (low, high), p=blur['prob'], border_type='replicate')

    def forward(self, views: Sequence[torch.Tensor],
                num_patches: int) -> List[torch.Tensor]:
        """Augment the views of :class:`DetCoMultiView`.

        Args:
            views (Sequence[torch.Tensor]): ``2 + 2 * num_patches`` batches
                ``(N, 3, H, W)``, RGB in ``[0, 255]``: the global views, then
                the patches of set 1 and of set 2.
            num_patches (int): Patches per set.

        Returns:
            List[torch.Tensor]: The augmented views, in the same order.
        """
        globals_, sets = split_views(views, num_patches,
                                     'DetCoViewAugmentation')
        device = views[0].device
        # one seed from the global generator (the same on every process, so
        # it advances alike and resumes exactly), offset by the rank: every
        # process draws its own augmentations, as its data workers do
        seed = int(torch.randint(2**62, ())) + get_rank()
        cuda = [device] if device.type == 'cuda' else []
        with torch.random.fork_rng(devices=cuda), torch.autocast(
                device.type, enabled=False):
            torch.manual_seed(seed)
            # both views (and both patch sets) in one batch, a draw per image
            images = torch.cat(globals_).float().unsqueeze(1)
            out_globals = self._augment(images)[:, 0].chunk(2)
            out_sets = [[], []]
            if num_patches:
                patches = torch.cat(
                    [torch.stack(patches, dim=1) for patches in sets]).float()
                out_sets = [
                    list(patches.unbind(1))
                    for patches in self._augment(patches).chunk(2)
                ]
        return join_views(out_globals, out_sets)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        """Augment ``(N, n, 3, h, w)`` images, one draw per ``n`` of them."""
        num, n, c, h, w = images.shape
        x = images / 255.
        # the n images of a draw side by side: (N, 3, h, n * w)
        x = x.permute(0, 2, 3, 1, 4).reshape(num, c, h, n * w)
        if self.color_jitter is not None:
            x = self._jitter(x)
        if self.grayscale is not None:
            x = self.grayscale(x)
        x = x.reshape(num, c, h, n, w).permute(0, 3, 1, 2, 4).flatten(0, 1)
        if self.blur is not None:
            params = self.blur.forward_parameters(torch.Size((num, c, h, w)))
            x = self.blur(x, params=_repeat_per_image(params, n, x.shape))
        return x.unflatten(0, (num, n)) * 255.

    def _jitter(self, x: torch.Tensor) -> torch.Tensor:
        """Colour jitter with the factors of kornia's ``ColorJitter`` and an
        order of the four steps drawn per image (kornia draws one order per
        batch), applied with kornia's functions of those steps."""
        params = self.color_jitter.forward_parameters(x.shape)
        applied = params['batch_prob'].cpu().bool()
        factors = [
            params[f'{name}_factor'].to(x)
            for name in ('brightness', 'contrast', 'saturation', 'hue')
        ]
        orders = torch.rand(x.shape[0], 4).argsort(dim=1)
        x = x.clone()
        for position in range(4):
            for step, (adjust, factor) in enumerate(zip(_STEPS, factors)):
                index = ((orders[:, position] == step)
                         & applied).nonzero()[:, 0].to(x.device)
                if len(index):
                    x[index] = adjust(x[index], factor[index]).clamp(0, 1)
        return x
