# Copyright (c) mmdetco contributors. All rights reserved.
"""The steps of the embedded demo: pre-train, export, fine-tune, read AP.

Each training step runs mmengine's runner in this Python process, configured
as ``tools/train.py`` configures it (:func:`train`), and resumes when its
outputs already exist, so an interrupted demo continues where it stopped.
Used by ``tools/run_demo.py`` and ``tools/benchmarks/demo_table.py``.
"""
import json
import math
import multiprocessing
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed

from mmdetco.compat import MODELS
from mmdetco.evaluation.functional import collapsed_branches
from mmdetco.models.utils import healthy_spread
from mmdetco.utils.package_files import package_file
from mmdetco.utils.runner_args import build_runner, train_config, train_parser
from mmdetco.utils.training_log import (find_logs, load_records, scalar_key,
                                        scalars)
from mmdetco.utils.weights import export_backbone as save_backbone
from .dense_probe import dense_probe, pixel_probe
from .scenes import CLASSES, data_layout, generate_demo_data

#: configs, relative to ``mmdetco/.mim`` (:func:`package_file`)
DETCO_CONFIG = 'configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py'
MOCOV2_CONFIG = 'configs/mocov2/mocov2_resnet18_1xb16-coslr-8e_demo.py'
DETECTOR_CONFIG = ('configs/benchmarks/mmdetection/demo/'
                   'faster-rcnn_r18_fpn_1xb8-6e_demo.py')
PROBE_CONFIG = ('configs/benchmarks/mmdetection/demo/'
                'faster-rcnn_r18_fpn_1xb8-6e_demo_frozen-probe.py')
PROBE_NAME = 'frozen-backbone Faster R-CNN bbox AP (demo val)'
#: The dense probe's cells, in pixels: a 20 x 20 grid on 160 px images.
DENSE_CELL = 8
DENSE_NAME = 'dense probe mIoU, frozen res2-res5, 8 px cells (demo val)'
AP_KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')


def ensure_demo_data(data_root: str) -> None:
    """Generate the demo data into ``data_root`` unless it holds a demo data
    set already (of any parameters: a benchmark tool's ``--data-root``)."""
    if not osp.exists(data_layout(data_root)['meta_file']):
        generate_demo_data(data_root)


def _logged(log: str, threads: int, function: Callable, args: tuple) -> None:
    """``function(*args)`` with this process's output written to the file
    ``log`` and ``threads`` torch threads (a process of :func:`run_logged`).
    """
    os.environ['OMP_NUM_THREADS'] = str(threads)
    torch.set_num_threads(threads)
    with open(log, 'w') as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    function(*args)


def run_logged(function: Callable, args: tuple, log: str,
               threads: int) -> None:
    """Call ``function(*args)`` in a new Python process (``spawn``: nothing
    of this one's state) whose output goes to the file ``log`` and which
    runs ``threads`` torch threads (``OMP_NUM_THREADS``).

    Raises:
        RuntimeError: The call failed, naming its exit code and ``log``.
    """
    os.makedirs(osp.dirname(osp.abspath(log)), exist_ok=True)
    process = multiprocessing.get_context('spawn').Process(
        target=_logged, args=(log, threads, function, args))
    process.start()
    process.join()
    if process.exitcode:
        raise RuntimeError(f'{function.__name__}{args} failed (exit code '
                           f'{process.exitcode}); its output: {log}')


def train(config: str,
          work_dir: str,
          cfg_options: Sequence[str] = (),
          log: Optional[str] = None,
          threads: int = 1) -> None:
    """Train ``config`` (relative to ``mmdetco/.mim``, :func:`package_file`,
    or absolute) in this process as ``tools/train.py CONFIG --work-dir
    WORK_DIR --resume --cfg-options CFG_OPTIONS`` trains it: resumed from
    the last checkpoint of ``work_dir``, if any.

    With ``log``, it trains in a process of its own (:func:`run_logged`)
    whose output goes to the file ``log``, with ``threads`` torch threads:
    several such runs can go side by side.
    """
    if log is not None:
        run_logged(train, (config, work_dir, tuple(cfg_options)), log,
                   threads)
        return
    argv = [package_file(config), '--work-dir', work_dir, '--resume']
    if cfg_options:
        argv += ['--cfg-options', *cfg_options]
    print('+ train', ' '.join(argv), flush=True)
    cfg = train_config(train_parser().parse_args(argv))
    # mmengine keeps one visualizer per name: under a config's fixed name
    # (MMDetection's 'visualizer') a second run of this process would log
    # into the first one's folder; unnamed, it is named after the run
    if cfg.get('visualizer') is not None:
        cfg.visualizer.pop('name', None)
    build_runner(cfg).train()


def log_records(work_dir: str, key: str) -> List[dict]:
    """The records of the json logs of a run that hold ``key``, oldest
    first (:func:`mmdetco.utils.find_logs`: a resumed run's logs too)."""
    records = load_records(find_logs(work_dir), [key])
    if not records:
        raise RuntimeError(f'no "{key}" in the json logs under {work_dir}')
    return records


def read_log(work_dir: str, key: str) -> List[float]:
    """The values of ``key`` in the json logs of a run, oldest first."""
    return [record[key] for record in log_records(work_dir, key)]


def last_checkpoint(work_dir: str) -> str:
    """The path mmengine recorded in ``WORK_DIR/last_checkpoint``."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def data_root_options(config: str, data_root: str) -> List[str]:
    """``KEY=VALUE`` overrides that point every data set of a pre-training
    config at ``data_root``: the training set and those of its hooks
    (``KNNMonitorHook``, ``BackboneBNStatsHook``)."""
    cfg = Config.fromfile(package_file(config))
    options = [f'train_dataloader.dataset.data_root={data_root}']
    for i, hook in enumerate(cfg.get('custom_hooks', [])):
        for loader in ('dataloader', 'query_dataloader'):
            if hook.get(loader) is not None:
                options.append(f'custom_hooks.{i}.{loader}.dataset.'
                               f'data_root={data_root}')
    return options


def pretrain(config: str,
             work_dir: str,
             data_root: str,
             seed: int = 0,
             cfg_options: Sequence[str] = ()) -> str:
    """Pre-train (:func:`train`); returns the last checkpoint.

    ``cfg_options`` are more ``KEY=VALUE`` overrides of the config.
    """
    train(config, work_dir, [
        *data_root_options(config, data_root), f'randomness.seed={seed}',
        *cfg_options
    ])
    return last_checkpoint(work_dir)


def pretrain_health(config: str, work_dir: str) -> dict:
    """Did a pre-training run learn? Read from its json logs.

    Args:
        config (str): The pre-training config, relative to
            ``mmdetco/.mim`` or absolute.
        work_dir (str): Its work directory.

    Returns:
        dict: ``chance_loss`` (``ln(K + 1)``); ``terms``, the last logged
        value of every ``loss_{term}_{level}``; ``worst_term_vs_chance``;
        ``spread_ratio``, the last logged spread of every branch
        (``{kind}_{level}``) over the healthy ``1 / sqrt(D)``;
        ``positive_cosine``, the last ``poscos_{kind}_{level}``;
        ``collapsed_branches``, those whose last logged spread and top-1
        are under the thresholds of the config's ``DetCoHealthHook``;
        ``knn_top1_random_init`` and ``knn_top1_pretrained``, the first and
        last ``knn/top1``; ``knn_top1_pixels``, the raw-pixel baseline
        (``KNNMonitorHook(pixel_baseline=True)``, else None);
        ``terms_not_falling``, the terms that fail :func:`terms_not_falling`.
    """
    cfg = Config.fromfile(package_file(config))
    chance = math.log(cfg.model.queue_len + 1)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'DetCoHealthHook')
    rule = {
        k: hook[k]
        for k in ('collapse_ratio', 'chance_factor') if k in hook
    }
    healthy = healthy_spread(cfg.model.feat_dim)
    records = log_records(work_dir, 'loss')
    last = records[-1]
    terms = {
        scalar_key('loss', *name): round(v, 3)
        for name, v in scalars(last, 'loss').items()
    }
    spreads = scalars(last, 'spread')
    knn = read_log(work_dir, 'knn/top1')
    try:
        pixels = round(read_log(work_dir, 'knn/top1_pixels')[0], 2)
    except RuntimeError:
        pixels = None
    return dict(
        chance_loss=round(chance, 3),
        terms=terms,
        worst_term_vs_chance=round(max(terms.values()) / chance, 3),
        spread_ratio={
            f'{kind}_{level}': round(v / healthy, 3)
            for (kind, level), v in spreads.items()
        },
        positive_cosine={
            f'{kind}_{level}': round(v, 3)
            for (kind, level), v in scalars(last, 'poscos').items()
        },
        collapsed_branches=collapsed_branches(last, cfg.model.feat_dim,
                                              cfg.model.queue_len, **rule),
        knn_top1_random_init=round(knn[0], 2),
        knn_top1_pretrained=round(knn[-1], 2),
        knn_top1_pixels=pixels,
        terms_not_falling=terms_not_falling(
            records,
            2 * cfg.model.queue_len // cfg.train_dataloader.batch_size))


def terms_not_falling(records: List[dict], start_iter: int) -> List[str]:
    """The loss terms that did not keep falling once the queues held real
    keys.

    A term keeps falling when the mean of its logged values over the last
    10 % of the run is below the mean over the 10 % of the run that starts
    at ``start_iter`` (e.g. the iteration by which ``2 x K`` keys have been
    enqueued).

    Args:
        records (list[dict]): The training records of a run's json logs
            (``step`` and the ``loss_{term}_{level}`` values), oldest first.
        start_iter (int): The first iteration of the reference window.

    Returns:
        list[str]: The failing terms; every term when the run is too short
        for the two windows to be apart.
    """
    last_iter = records[-1]['step']
    width = max(1, last_iter // 10)
    early = [
        r for r in records if start_iter <= r['step'] < start_iter + width
    ]
    late = [r for r in records if r['step'] > last_iter - width]
    terms = sorted(
        scalar_key('loss', *name) for name in scalars(records[-1], 'loss'))
    if not early or start_iter + width > last_iter - width:
        return terms

    def mean(window, term):
        return sum(r[term] for r in window) / len(window)

    return [t for t in terms if mean(late, t) >= mean(early, t)]


def pretrain_and_finetune(config: str,
                          work_dir: str,
                          data_root: str,
                          seed: int = 0,
                          pretrain_options: Sequence[str] = (),
                          finetune_options: Sequence[str] = (),
                          full_finetune: bool = True,
                          probe_seeds: Optional[Sequence[int]] = None
                          ) -> Dict[str, float]:
    """Pre-train a demo-sized config, export its backbone, probe it and
    fine-tune the demo detector from it.

    Args:
        config (str): A pre-training config at the demo's scale whose hooks
            include ``KNNMonitorHook``.
        work_dir (str): The run writes ``pretrain/``, ``backbone.pth``,
            ``probe/`` and ``detector/`` there.
        data_root (str): The demo data folder.
        seed (int): The seed of every training.
        pretrain_options (Sequence[str]): More ``KEY=VALUE`` overrides of
            the pre-training config.
        finetune_options (Sequence[str]): More ``KEY=VALUE`` overrides of
            the detector and probe configs.
        full_finetune (bool): Also fine-tune the whole detector.
            Defaults to True.
        probe_seeds (Sequence[int], optional): The seeds of the
            frozen-backbone probe, trained once per seed
            (:func:`probe_seeds_mean`). Defaults to ``[seed]``.

    Returns:
        dict: ``kNN_init`` and ``kNN``, the kNN top-1 of the backbone before
        the first and after the last iteration; ``dense``, its dense probe
        (:func:`dense_miou`); ``probe`` and ``probe_runs``, the mean bbox AP of
        the frozen-backbone probes and that of each; with
        ``full_finetune``, bbox ``AP``, ``AP50`` and ``AP75`` of the
        fine-tuned detector.
    """
    pretrain_dir = osp.join(work_dir, 'pretrain')
    checkpoint = pretrain(config, pretrain_dir, data_root, seed,
                          pretrain_options)
    backbone = export_backbone(checkpoint, osp.join(work_dir, 'backbone.pth'))
    knn = read_log(pretrain_dir, 'knn/top1')
    result = dict(
        kNN_init=round(knn[0], 1),
        kNN=round(knn[-1], 1),
        dense=dense_miou(data_root, backbone),
        **probe_seeds_mean(
            osp.join(work_dir, 'probe'), data_root, backbone, probe_seeds
            or [seed], finetune_options))
    if full_finetune:
        result.update(
            finetune(
                osp.join(work_dir, 'detector'), data_root, backbone, seed,
                finetune_options))
    return result


def random_init_backbone(work_dir: str,
                         seed: int = 0,
                         config: str = DETCO_CONFIG) -> str:
    """The random initialisation a pre-training of ``config`` (by default
    DetCo's demo) starts from with ``seed``: the baseline every
    pre-training must beat.

    Writes the backbone as built and initialised, before any training, to
    ``WORK_DIR/backbone_init.pth`` in the format of :func:`export_backbone`
    and returns that path.
    """
    cfg = Config.fromfile(package_file(config))
    set_random_seed(seed)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    out = osp.join(work_dir, 'backbone_init.pth')
    os.makedirs(work_dir, exist_ok=True)
    torch.save(dict(state_dict=model.backbone.state_dict(), meta=dict()), out)
    return out


def random_init_probes(work_dir: str,
                       data_root: str,
                       seed: int = 0,
                       cfg_options: Sequence[str] = ()) -> Dict[str, float]:
    """Both probes of the random initialisation DetCo's demo pre-training
    starts from with ``seed`` (:func:`random_init_backbone`).

    Writes ``backbone_init.pth`` and ``probe/`` under ``work_dir``;
    ``cfg_options`` go to the detector probe. Returns ``dense``
    (:func:`dense_miou`) and ``probe`` (the bbox AP of :func:`probe`).
    """
    initial = random_init_backbone(work_dir, seed)
    return dict(
        dense=dense_miou(data_root, initial),
        probe=probe(
            osp.join(work_dir, 'probe'), data_root, initial, seed,
            cfg_options)['AP'])


def export_backbone(checkpoint: str, out: str) -> str:
    """Export the query backbone of a pre-training checkpoint, keys without
    prefix (:func:`mmdetco.utils.weights.export_backbone`, as
    ``tools/model_converters/extract_backbone_weights.py``); returns
    ``out``."""
    save_backbone(checkpoint, out)
    return out


def finetune(work_dir: str,
             data_root: str,
             backbone: Optional[str],
             seed: int = 0,
             cfg_options: Sequence[str] = (),
             config: str = DETECTOR_CONFIG,
             **run_options) -> Dict[str, float]:
    """Fine-tune and evaluate the demo detector (or, with
    ``config=PROBE_CONFIG``, the frozen-backbone probe).

    Args:
        work_dir (str): Where the run writes its logs and checkpoints.
        data_root (str): The demo data folder.
        backbone (str, optional): Backbone weights without prefix; None
            trains from random initialisation.
        seed (int): The fine-tuning seed.
        cfg_options (Sequence[str]): More ``KEY=VALUE`` config overrides.
        config (str): The detector config, relative to ``mmdetco/.mim``
            or absolute. Defaults to :data:`DETECTOR_CONFIG`.
        **run_options: ``log`` and ``threads`` of :func:`train`.

    Returns:
        dict: bbox AP, AP50 and AP75 (in %) on the demo val split.

    Raises:
        RuntimeError: The trained detector detects nothing on the val
            split: a diverged run, never reported as AP 0.
    """
    data_root = data_root.rstrip('/') + '/'
    init = 'model.backbone.init_cfg=None' if backbone is None else \
        f'model.backbone.init_cfg.checkpoint={backbone}'
    train(config, work_dir, [
        init, f'randomness.seed={seed}',
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'val_evaluator.ann_file={data_root}annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}annotations/instances_val.json',
        *cfg_options
    ], **run_options)
    try:
        return {
            name: round(100 * read_log(work_dir, key)[-1], 1)
            for name, key in zip(('AP', 'AP50', 'AP75'), AP_KEYS)
        }
    except RuntimeError as error:  # CocoMetric logs nothing then
        raise RuntimeError(
            f'{work_dir}: no detection on the val split; the training '
            'diverged (its losses may have stayed finite) and has no AP '
            'to report') from error


def dense_miou(data_root: str, backbone: Optional[str] = None) -> float:
    """The dense probe's val mIoU (in %, :mod:`.dense_probe`) of a backbone
    file, or of the raw pixels when ``backbone`` is None, with cells of
    :data:`DENSE_CELL` pixels."""
    data = dict(data_layout(data_root), classes=CLASSES)
    with open(data['meta_file'], encoding='utf-8') as f:
        grid = json.load(f)['params']['size'] // DENSE_CELL
    result = pixel_probe(data, grid) if backbone is None else \
        dense_probe(backbone, data, grid)
    return round(result['miou'], 1)


def probe(work_dir: str,
          data_root: str,
          backbone: Optional[str],
          seed: int = 0,
          cfg_options: Sequence[str] = (),
          **run_options) -> Dict[str, float]:
    """The frozen-backbone probe (:data:`PROBE_CONFIG`): the demo detector
    on a frozen backbone whose BN statistics are re-estimated on the
    training images; only FPN and heads train. Arguments and result as
    :func:`finetune`."""
    return finetune(work_dir, data_root, backbone, seed, cfg_options,
                    PROBE_CONFIG, **run_options)


def probes_side_by_side(runs: Dict[str, Tuple[Optional[str], int]],
                        work_dir: str,
                        data_root: str,
                        cfg_options: Sequence[str] = ()) -> Dict[str, float]:
    """Several frozen-backbone probes (:func:`probe`) at once, one process
    and one thread each, into ``work_dir/probe_NAME`` (output in
    ``probe_NAME.log``): a probe's small convolutions and matrix products
    gain little from a second thread, so on 2 cores two one-thread probes
    side by side finish well before two two-thread probes one after the
    other (docs/en/demo.md).

    Args:
        runs (dict): ``NAME: (BACKBONE, SEED)``, the backbone file (None:
            random initialisation) and the seed of every probe.
        work_dir (str): The folder of the probes' folders and logs.
        data_root (str): The demo data folder.
        cfg_options (Sequence[str]): More ``KEY=VALUE`` overrides of the
            probe config.

    Returns:
        dict: The bbox AP of each probe, by name.
    """
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {
            name:
            pool.submit(
                probe,
                osp.join(work_dir, f'probe_{name}'),
                data_root,
                weights,
                seed,
                cfg_options,
                log=osp.join(work_dir, f'probe_{name}.log'),
                threads=1)
            for name, (weights, seed) in runs.items()
        }
        return {name: f.result()['AP'] for name, f in futures.items()}


def probe_seeds_mean(work_dir: str,
                     data_root: str,
                     backbone: Optional[str],
                     seeds: Sequence[int],
                     cfg_options: Sequence[str] = ()) -> Dict[str, float]:
    """The frozen-backbone probe of one backbone trained once per seed: one
    seed into ``work_dir`` (:func:`probe`), several side by side
    (:func:`probes_side_by_side`, ``work_dir/probe_seed{SEED}``). A probe's
    run noise (about 0.6 AP on the demo) is as large as the gains it has to
    tell apart; the mean of ``n`` runs divides it by ``sqrt(n)``.

    Returns:
        dict: ``probe``, the mean bbox AP, and ``probe_runs``, that of
        every seed.
    """
    if len(seeds) == 1:
        aps = [
            probe(work_dir, data_root, backbone, seeds[0], cfg_options)['AP']
        ]
    else:
        aps = list(
            probes_side_by_side(
                {
                    f'seed{seed}': (backbone, seed)
                    for seed in seeds
                }, work_dir, data_root, cfg_options).values())
    return dict(probe=round(sum(aps) / len(aps), 2), probe_runs=aps)
