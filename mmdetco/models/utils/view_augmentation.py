# Copyright (c) mmdetco contributors. All rights reserved.
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.dist import get_rank

from ...utils import join_views, split_views

#: The kornia versions tested (the ``gpuaug`` extra of setup.cfg).
KORNIA_REQUIREMENT = 'kornia>=0.7.4,<0.10'

#: kornia's parameters drawn per image (the others are drawn per call).
_PER_IMAGE = ('batch_prob', 'sigma', 'brightness_factor', 'contrast_factor',
              'saturation_factor', 'hue_factor')


def import_kornia():
    """kornia, or an ImportError that names the extra to install."""
    try:
        import kornia
    except ImportError as exc:
        raise ImportError(
            'The device-side view augmentation (DetCoDataPreprocessor\'s '
            '`augmentation`, the *_gpuaug.py configs) needs kornia: pip '
            f'install "mmdetco[gpuaug]" ({KORNIA_REQUIREMENT}).') from exc
    return kornia


def draw_params(augmentation: nn.Module,
                shape: Sequence[int],
                repeats: int = 1,
                every_image: bool = False) -> Dict[str, torch.Tensor]:
    """Draw a kornia augmentation's parameters, repeated per image.

    The parameters are drawn for ``shape[0]`` images and each image's are
    repeated ``repeats`` times, for an input of ``shape[0] * repeats``
    images.

    The one place that reads kornia's parameter dict. kornia < 0.8.3 draws
    the per-image parameters for the images it applies to only;
    ``every_image`` gives them a row per image (0 for the others) to read,
    not to pass back to kornia.
    """
    params = augmentation.forward_parameters(torch.Size(shape))
    applied = params['batch_prob'].bool()
    for name in _PER_IMAGE:
        value = params.get(name)
        if value is None:
            continue
        if every_image and len(value) != len(applied):
            full = value.new_zeros((len(applied), *value.shape[1:]))
            full[applied.to(value.device)] = value
            value = full
        params[name] = value.repeat_interleave(repeats, 0)
    params['forward_input_shape'] = torch.tensor(
        (shape[0] * repeats, *shape[1:]),
        device=params['forward_input_shape'].device)
    return params


def _jitter_steps() -> tuple:
    """The four steps of kornia's ``ColorJitter`` (torchvision's formulas).

    In its order of the factors: brightness, contrast, saturation, hue
    (turns).
    """
    enhance = import_kornia().enhance
    return (enhance.adjust_brightness_accumulative,
            enhance.adjust_contrast_with_mean_subtraction,
            enhance.adjust_saturation_with_gray_subtraction,
            lambda x, turns: enhance.adjust_hue(x, turns * 2 * math.pi))


class DetCoViewAugmentation(nn.Module):
    """Colour jitter, greyscale and blur of the DetCo views on the device.

    Batched with kornia, with independent random parameters per image and
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
        K = import_kornia().augmentation
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
        # contiguous: kornia < 0.8 views the blur's input as it is laid out
        x = x.reshape(num, c, h, n, w).permute(0, 3, 1, 2,
                                               4).flatten(0, 1).contiguous()
        if self.blur is not None:
            x = self.blur(x, params=draw_params(self.blur, (num, c, h, w), n))
        return x.unflatten(0, (num, n)) * 255.

    def _jitter(self, x: torch.Tensor) -> torch.Tensor:
        """Colour jitter with an order of the four steps drawn per image.

        With the factors of kornia's ``ColorJitter`` (which draws one order
        per batch), applied with kornia's functions of those steps.
        """
        params = draw_params(self.color_jitter, x.shape, every_image=True)
        applied = params['batch_prob'].cpu().bool()
        factors = [
            params[f'{name}_factor'].to(x)
            for name in ('brightness', 'contrast', 'saturation', 'hue')
        ]
        orders = torch.rand(x.shape[0], 4).argsort(dim=1)
        steps = list(zip(_jitter_steps(), factors))
        x = x.clone()
        for position in range(4):
            for step, (adjust, factor) in enumerate(steps):
                index = ((orders[:, position] == step)
                         & applied).nonzero()[:, 0].to(x.device)
                if len(index):
                    x[index] = adjust(x[index], factor[index]).clamp(0, 1)
        return x
