# Copyright (c) mmdetco contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from ...compat import MODELS


def _mlp(in_channels: int, hid_channels: int, out_channels: int) -> nn.Module:
    """Linear -> ReLU -> Linear, the MoCo v2 projection shape."""
    return nn.Sequential(
        nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
        nn.Linear(hid_channels, out_channels))


@MODELS.register_module()
class DetCoNeck(BaseModule):
    """The multi-level global and local projection neck of DetCo.

    For every backbone level ``i`` with ``C_i`` channels there are two MLPs
    that share no weights:

    - the global MLP: global average pool -> ``Linear(C_i, H_i)`` -> ReLU ->
      ``Linear(H_i, out_channels)``;
    - the local MLP: each of the ``num_patches`` patches of a sample is
      pooled to a ``C_i`` vector, the vectors are concatenated in patch order
      (``num_patches * C_i``) -> ``Linear(num_patches * C_i, H_i)`` -> ReLU
      -> ``Linear(H_i, out_channels)``.

    All outputs are L2-normalised. ``scale_local_input`` and
    ``local_init='global'`` keep the local branch from collapsing, which it
    does with both off (the literal reading of the paper); see
    docs/en/algorithm.md and, for the measurements,
    docs/en/training_health.md.

    Args:
        in_channels (Sequence[int]): Channels of each backbone level, e.g.
            ``(256, 512, 1024, 2048)`` for ResNet-50 res2..res5.
        hid_channels (int | Sequence[int], optional): Hidden width ``H_i`` of
            both MLPs of each level. ``None`` uses ``C_i``, the DetCo default
            (docs/en/algorithm.md counts the parameters of a ``9 * C_i``
            one). An int applies to every level. Defaults to None.
        local_hid_channels (int | Sequence[int], optional): Hidden width of
            the local MLPs alone, e.g. ``9 * C_i`` for the paper's
            alternative; ``None`` uses ``hid_channels``. Defaults to None.
        out_channels (int): Dimension of the embeddings. Defaults to 128.
        num_patches (int): Number of jigsaw patches per sample (grid size
            squared). Defaults to 9.
        scale_local_input (bool): Divide the concatenated patch vector by
            ``sqrt(num_patches)``. Defaults to True.
        local_init (str): ``'global'``: :meth:`init_weights` starts every
            local MLP as the global MLP of its level applied to the mean of
            the patch vectors (weights copied, not shared; the extra hidden
            units of a wider local MLP start disconnected from the output),
            or ``'default'`` (PyTorch's initialisation of ``nn.Linear``).
            ``'global'`` needs the same hidden width for both MLPs of a
            level or a wider local one. Defaults to ``'global'``.
        with_local (bool): Build the local MLPs. ``False`` builds none (for
            loss terms without local embeddings; :class:`DetCo` sets it from
            its head's ``loss_terms``): :meth:`forward` then returns no
            local embeddings. Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 hid_channels: Optional[Union[int, Sequence[int]]] = None,
                 local_hid_channels: Optional[Union[int,
                                                    Sequence[int]]] = None,
                 out_channels: int = 128,
                 num_patches: int = 9,
                 scale_local_input: bool = True,
                 local_init: str = 'global',
                 with_local: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        in_channels = tuple(in_channels)
        hid_channels = self._per_level(hid_channels, in_channels,
                                       'hid_channels')
        local_hid_channels = self._per_level(local_hid_channels, hid_channels,
                                             'local_hid_channels')
        if local_init not in ('global', 'default'):
            raise ValueError(
                "DetCoNeck: `local_init` must be 'global' or 'default', got "
                f'{local_init!r}.')
        narrower = [(g, loc)
                    for g, loc in zip(hid_channels, local_hid_channels)
                    if loc < g]
        if local_init == 'global' and narrower:
            raise ValueError(
                "DetCoNeck: local_init='global' starts the local MLPs as the "
                'global ones, so `local_hid_channels` must be at least '
                f'`hid_channels` at every level; got (global, local) '
                f'{narrower}.')
        self.in_channels = in_channels
        self.num_patches = num_patches
        self.local_input_scale = num_patches**-0.5 if scale_local_input \
            else 1.
        self.local_init = local_init
        self.with_local = with_local
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.global_mlps = nn.ModuleList(
            _mlp(c, h, out_channels)
            for c, h in zip(in_channels, hid_channels))
        self.local_mlps = nn.ModuleList(
            _mlp(num_patches * c, h, out_channels)
            for c, h in zip(in_channels, local_hid_channels)
            if with_local)

    @staticmethod
    def _per_level(value: Optional[Union[int, Sequence[int]]],
                   default: Tuple[int, ...], name: str) -> Tuple[int, ...]:
        """One width per level.

        ``None`` is ``default``; an int is used for every level.
        """
        if value is None:
            return default
        if isinstance(value, int):
            return (value, ) * len(default)
        if len(value) != len(default):
            raise ValueError(
                f'DetCoNeck: `{name}` has {len(value)} entries but the neck '
                f'has {len(default)} levels.')
        return tuple(value)

    def init_weights(self) -> None:
        """Initialise the weights.

        With ``local_init='global'`` the local MLPs then start as copies of
        the global ones.
        """
        super().init_weights()
        if self.local_init != 'global':
            return
        with torch.no_grad():
            for local, global_ in zip(self.local_mlps, self.global_mlps):
                # W_l (s * [p_1 .. p_P]) = W_g mean(p): every block is
                # W_g / (P * s)
                block = global_[0].weight / (
                    self.num_patches * self.local_input_scale)
                hid = block.shape[0]
                local[0].weight[:hid] = block.repeat(1, self.num_patches)
                local[0].bias[:hid] = global_[0].bias
                # extra hidden units of a wider local MLP start disconnected
                local[2].weight.zero_()
                local[2].weight[:, :hid] = global_[2].weight
                local[2].bias.copy_(global_[2].bias)

    @property
    def num_levels(self) -> int:
        """int: The number of backbone levels the neck projects."""
        return len(self.in_channels)

    def _check_levels(self, feats: Sequence[torch.Tensor], name: str) -> None:
        if len(feats) != self.num_levels:
            raise ValueError(
                f'DetCoNeck got {len(feats)} {name} feature levels but was '
                f'built for {self.num_levels} (in_channels='
                f'{self.in_channels}); make the backbone `out_indices` and '
                'the neck `in_channels` agree.')

    def forward_global(self,
                       feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Project the features of whole views.

        Args:
            feats (Sequence[torch.Tensor]): One ``(N, C_i, H, W)`` map per
                level.

        Returns:
            List[torch.Tensor]: One L2-normalised ``(N, out_channels)``
            embedding per level.
        """
        self._check_levels(feats, 'global')
        return [
            nn.functional.normalize(mlp(self.avgpool(x).flatten(1)), dim=1)
            for mlp, x in zip(self.global_mlps, feats)
        ]

    def forward_local(self,
                      feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Project the features of patch sets.

        Args:
            feats (Sequence[torch.Tensor]): One ``(N * num_patches, C_i, h,
                w)`` map per level, the patches of a sample adjacent and in
                patch order.

        Returns:
            List[torch.Tensor]: One L2-normalised ``(N, out_channels)``
            embedding per level.
        """
        if not self.with_local:
            raise RuntimeError(
                'DetCoNeck was built with with_local=False: it has no local '
                'MLPs to project patch features with.')
        self._check_levels(feats, 'local')
        outs = []
        for mlp, x in zip(self.local_mlps, feats):
            pooled = self.avgpool(x).flatten(1)
            if pooled.shape[0] % self.num_patches:
                raise ValueError(
                    f'DetCoNeck: {pooled.shape[0]} patches is not a multiple '
                    f'of num_patches={self.num_patches}.')
            pooled = pooled.reshape(-1, self.num_patches * pooled.shape[1])
            pooled = pooled * self.local_input_scale
            outs.append(nn.functional.normalize(mlp(pooled), dim=1))
        return outs

    def forward(
        self,
        global_feats: Sequence[torch.Tensor],
        local_feats: Optional[Sequence[torch.Tensor]] = None
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Project global and local features.

        Args:
            global_feats (Sequence[torch.Tensor]): See
                :meth:`forward_global`.
            local_feats (Sequence[torch.Tensor], optional): See
                :meth:`forward_local`; ``None`` (and required so) without
                local MLPs. Defaults to None.

        Returns:
            Tuple[List[torch.Tensor], List[torch.Tensor]]: The global and the
            local embeddings, one ``(N, out_channels)`` tensor per level;
            no local ones without local MLPs.
        """
        if self.with_local != (local_feats is not None):
            raise ValueError(
                f'DetCoNeck(with_local={self.with_local}) got '
                f'{"no" if local_feats is None else "local"} patch features;'
                ' pass them exactly when the neck has local MLPs.')
        local = self.forward_local(local_feats) if self.with_local else []
        return self.forward_global(global_feats), local
