# Copyright (c) mmdetco contributors. All rights reserved.
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import all_gather

from ...compat import MODELS, BaseSelfSupervisor, DataSample
from ...utils import scalar_key, split_views
from ..utils import (LOSS_TERMS, ForeachEMA, embedding_spread, positive_cosine,
                     shuffle_batch, unshuffle_batch)

Embeddings = Tuple[List[torch.Tensor], List[torch.Tensor]]


def _uses_local(loss_terms) -> bool:
    """Whether any of ``loss_terms`` has local queries or keys."""
    return any('l' in LOSS_TERMS.get(term, '') for term in loss_terms)


@MODELS.register_module()
class DetCo(BaseSelfSupervisor):
    """DetCo: multi-level, global-local momentum contrast.

    `DetCo: Unsupervised Contrastive Learning for Object Detection
    <https://arxiv.org/abs/2102.04803>`_: MoCo v2 with contrastive losses at
    every backbone level, and between whole images and their jigsaw patch
    sets.

    The query encoder (backbone + neck) embeds views 1 of the ``2 + 2 *
    num_patches`` inputs of :class:`DetCoMultiView`, its momentum copy views
    2, against one global and one local queue of keys per level (the buffers
    ``queue_global``, ``queue_local`` and ``queue_ptr``). The design and its
    decisions: docs/en/algorithm.md.

    The local branch (the neck's local MLPs, the backbone pass of the patch
    sets, the local keys and queue) exists only when a loss term of the head
    uses it (``ll`` or ``lg``): DetCo sets the neck's ``with_local`` from
    ``head.loss_terms``, so ``loss_terms=('gg', )`` trains a multi-level MoCo
    v2 with no unused parameter (which DDP would refuse), and
    ``queue_local`` has 0 levels.

    Args:
        backbone (dict): Config dict of a backbone that returns one feature
            map per level, e.g. ResNet with ``out_indices=(0, 1, 2, 3)``.
        neck (dict): Config dict of :class:`DetCoNeck`; its ``with_local``
            is set from the head's ``loss_terms``.
        head (dict): Config dict of :class:`DetCoHead`.
        queue_len (int): Number of keys in each queue, a multiple of the
            global batch size. Defaults to 65536.
        feat_dim (int): Dimension of the embeddings. Defaults to 128.
        momentum (float): EMA weight of the query encoder in the key encoder,
            ``key = (1 - momentum) * key + momentum * query`` (MoCo's ``m``
            is ``1 - momentum``). Defaults to 0.001.
        symmetric (bool): Also contrast views 2 as queries against views 1
            as keys and average the two losses. Defaults to False.
        channels_last (bool): Keep the backbone weights and the views in the
            ``channels_last`` memory format. Defaults to False.
        compile (bool | dict): ``torch.compile`` the backbones and necks of
            both encoders for the training step (the modules, their state
            dict and their other callers stay as they are); a dict is passed
            as its arguments. Defaults to False.
        log_health (bool): Also return the ``spread_{kind}_{level}`` and
            ``poscos_{kind}_{level}`` scalars of the queries
            (:class:`DetCoHealthHook` switches it on) at the steps that
            return their scalars (``log_scalars``). Defaults to False.
        pretrained (str, optional): The pretrained checkpoint path.
            Defaults to None.
        data_preprocessor (dict, optional): The config of the data
            preprocessor. Defaults to ``SelfSupDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 symmetric: bool = False,
                 channels_last: bool = False,
                 compile: Union[bool, dict] = False,
                 log_health: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if not 0 < momentum <= 0.5:
            raise ValueError(
                f'DetCo: `momentum` is the EMA weight of the query encoder '
                f'(key = (1 - momentum) * key + momentum * query), e.g. 0.001 '
                f'for MoCo\'s m = 0.999; got {momentum}. If you meant MoCo\'s '
                f'm, pass 1 - m.')
        super().__init__(
            backbone=backbone,
            neck=self._neck_with_local(neck, head),
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        num_levels = self.neck.num_levels
        if len(self.head.levels) != num_levels:
            raise ValueError(
                f'DetCo: the neck projects {num_levels} levels but the head '
                f'has {len(self.head.levels)} `levels` {self.head.levels}.')
        self.with_local = self.neck.with_local
        if self.with_local != _uses_local(self.head.loss_terms):
            raise ValueError(
                f'DetCo: the head\'s loss_terms {self.head.loss_terms} and '
                f'the neck\'s with_local={self.with_local} disagree.')
        self.num_patches = self.neck.num_patches
        self.symmetric = symmetric
        self.log_health = log_health
        #: whether this step returns its logged scalars (:meth:`parse_losses`)
        self.log_scalars = True
        self._unlogged_scalars: List[Tuple[Tuple[str, ...], torch.Tensor]] = []
        self.queue_len = queue_len
        self.feat_dim = feat_dim
        self.channels_last = channels_last
        if channels_last:
            self.backbone.to(memory_format=torch.channels_last)

        self.encoder_k = ForeachEMA(
            nn.Sequential(self.backbone, self.neck), momentum)
        #: ``(module, its torch.compile'd callable)`` of the encoders, for
        #: the training step (:meth:`_encode`); other callers (the hooks'
        #: kNN and BN statistics passes) run the modules eagerly
        self._compiled: List[Tuple[nn.Module, nn.Module]] = []
        if compile:
            options = compile if isinstance(compile, dict) else {}
            self._compiled = [(module, torch.compile(module, **options))
                              for module in (self.backbone, self.neck,
                                             *self.encoder_k.module)]

        for kind in ('global', 'local'):
            levels = num_levels if kind == 'global' or self.with_local else 0
            queue = torch.randn(levels, feat_dim, queue_len)
            self.register_buffer(f'queue_{kind}',
                                 nn.functional.normalize(queue, dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    @staticmethod
    def _neck_with_local(neck: dict, head: dict) -> dict:
        """``neck`` with ``with_local`` set from ``head``'s loss terms."""
        # DetCoHead's default: every term
        terms = tuple(head.get('loss_terms', LOSS_TERMS))
        uses_local = _uses_local(terms)
        if neck.get('with_local', uses_local) != uses_local:
            raise ValueError(
                f'DetCo: model.neck.with_local={neck["with_local"]}, but the '
                f'head\'s loss_terms {terms} use '
                f'{"" if uses_local else "no "}local embeddings; leave '
                '`with_local` out of the neck config: DetCo sets it from '
                '`model.head.loss_terms`.')
        return dict(neck, with_local=uses_local)

    def embed(self, inputs: List[torch.Tensor]) -> Embeddings:
        """Embed global view 1 and patch set 1 with the query encoder.

        Args:
            inputs (List[torch.Tensor]): The ``2 + 2 * num_patches`` views.

        Returns:
            tuple: The global and the local embeddings, one ``(N,
            feat_dim)`` tensor per level each (no local ones without the
            local branch).
        """
        images, patches = self._split_views(inputs)
        return self._encode(
            nn.Sequential(self.backbone, self.neck), images[0], patches[0])

    def _split_views(
        self, inputs: List[torch.Tensor]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Split the input views into 2 global batches and 2 patch batches.

        Returns:
            tuple: ``[global 1, global 2]`` of shape ``(N, 3, H, W)`` and
            ``[patches 1, patches 2]`` of shape ``(N, num_patches, 3, h, w)``.
        """
        globals_, sets = split_views(inputs, self.num_patches)
        return globals_, [torch.stack(patches, dim=1) for patches in sets]

    def _encode(self, encoder: nn.Sequential, image: torch.Tensor,
                patches: torch.Tensor) -> Embeddings:
        """Embed a global view and a patch set with backbone + neck.

        Without the local branch the patches are not embedded (no local
        embeddings).
        """
        backbone, neck = (
            next((c for m, c in self._compiled if m is module), module)
            for module in encoder)
        if self.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        if not self.with_local:
            return neck(backbone(image))
        patches = patches.flatten(0, 1)
        if self.channels_last:
            patches = patches.contiguous(memory_format=torch.channels_last)
        return neck(backbone(image), backbone(patches))

    @torch.no_grad()
    def _encode_keys(self, image: torch.Tensor,
                     patches: torch.Tensor) -> Embeddings:
        """Embed with the key encoder, under shuffle BN.

        The batch is shuffled across GPUs so that BN statistics do not leak
        information; each process receives only the samples it keeps
        (:func:`shuffle_batch`); the unshuffles follow each shuffle's plan,
        reading nothing on the host.
        """
        image, image_plan = shuffle_batch(image)
        if self.with_local:  # else no patch embeddings (nor k_local)
            patches, patches_plan = shuffle_batch(patches)
        k_global, k_local = self._encode(self.encoder_k.module, image, patches)
        k_global = [unshuffle_batch(k, image_plan) for k in k_global]
        k_local = [unshuffle_batch(k, patches_plan) for k in k_local]
        return k_global, k_local

    @torch.no_grad()
    def _dequeue_and_enqueue(self, k_global: List[torch.Tensor],
                             k_local: List[torch.Tensor]) -> None:
        """Replace the oldest keys of every queue with the gathered keys."""
        keys = [
            torch.cat(all_gather(torch.stack(k)), dim=1)
            for k in (k_global, k_local) if k  # no k_local: no local branch
        ]
        batch_size = keys[0].shape[1]
        if self.queue_len % batch_size:
            raise ValueError(
                f'DetCo: `queue_len` ({self.queue_len}) must be a multiple '
                f'of the number of keys enqueued per step ({batch_size} = '
                'global batch size).')
        # the slots are computed on the device: the pointer is never read
        # on the host (ptr + batch_size <= queue_len, see above)
        slots = self.queue_ptr + torch.arange(
            batch_size, device=self.queue_ptr.device)
        queues = (self.queue_global, self.queue_local)
        for queue, kind_keys in zip(queues[:len(keys)], keys):
            queue.index_copy_(2, slots,
                              kind_keys.transpose(1, 2).to(queue.dtype))
        self.queue_ptr.add_(batch_size).remainder_(self.queue_len)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """The forward function in training.

        Args:
            inputs (List[torch.Tensor]): The ``2 + 2 * num_patches`` views.
            data_samples (List[DataSample]): All elements required
                during the forward function.

        Returns:
            Dict[str, torch.Tensor]: ``loss``, the weighted total, and the
            unweighted terms ``loss_{gg,ll,lg}_{level}`` for logging.
        """
        images, patches = self._split_views(inputs)
        query_encoder = nn.Sequential(self.backbone, self.neck)
        directions = [(0, 1), (1, 0)] if self.symmetric else [(0, 1)]

        with torch.no_grad():
            self.encoder_k.update_parameters(query_encoder)
            keys = {
                k: self._encode_keys(images[k], patches[k])
                for _, k in directions
            }

        # the head keeps no reference to the queues for the backward pass
        # (queue_info_nce), so they are updated in place below, uncopied
        queues = (self.queue_global, self.queue_local)
        losses = []
        for q, k in directions:
            q_global, q_local = self._encode(query_encoder, images[q],
                                             patches[q])
            k_global, k_local = keys[k]
            loss = self.head.loss(q_global, k_global, q_local, k_local,
                                  *queues)
            if self.log_health and self.log_scalars:
                loss.update(
                    self._health({
                        'global': (q_global, k_global),
                        'local': (q_local, k_local)
                    }))
            losses.append(loss)

        losses = {
            name: sum(loss[name] for loss in losses) / len(losses)
            for name in losses[0]
        }
        for _, k in directions:
            self._dequeue_and_enqueue(*keys[k])
        return losses

    def _health(
        self, embeddings: Dict[str, Tuple[List[torch.Tensor],
                                          List[torch.Tensor]]]
    ) -> Dict[str, torch.Tensor]:
        """The spread of the queries and the positive cosine per branch.

        ``embeddings`` maps a kind to its (queries, keys).
        """
        health = {}
        for kind, (queries, keys) in embeddings.items():
            for level, q, k in zip(self.head.levels, queries, keys):
                health[scalar_key('spread', kind, level)] = embedding_spread(q)
                health[scalar_key('poscos', kind,
                                  level)] = positive_cosine(q, k)
        return health

    def parse_losses(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Optimise ``loss`` alone; log every value.

        The per-term values also carry ``loss`` in their names (so they are
        found as losses in the logs) but are unweighted and detached: summing
        every ``*loss*`` key, as :meth:`BaseModel.parse_losses` does, would
        count them twice.

        With ``log_scalars`` off (:class:`DetCoHealthHook`, at the
        iterations that are not logged) only ``loss`` is returned; the other
        values stay on the device until :meth:`pop_unlogged_scalars`.
        """
        log_vars = OrderedDict(
            (name, value.mean()) for name, value in losses.items())
        if not self.log_scalars:
            names = tuple(name for name in log_vars if name != 'loss')
            if names:
                values = [log_vars[name].detach().float() for name in names]
                self._unlogged_scalars.append((names, torch.stack(values)))
            log_vars = OrderedDict(loss=log_vars['loss'])
        return log_vars['loss'], log_vars

    def pop_unlogged_scalars(self) -> List[Dict[str, float]]:
        """Read and forget the scalars kept on the device.

        The scalars of the steps that did not return them, oldest first,
        are read from the device in one transfer.

        Returns:
            list[dict]: One ``{name: value}`` per step.
        """
        if not self._unlogged_scalars:
            return []
        values = torch.cat([row for _, row in self._unlogged_scalars]).tolist()
        steps, start = [], 0
        for names, _ in self._unlogged_scalars:
            steps.append(dict(zip(names, values[start:start + len(names)])))
            start += len(names)
        self._unlogged_scalars = []
        return steps
