# Copyright (c) mmdetco contributors. All rights reserved.
"""Helpers of the benchmark tests: config paths, the ``--cfg-options`` the
scripts pass, a tiny VOC copy of the demo data, shrinking a benchmark config
to a few CPU iterations, and the key sets of ``Pretrained`` init."""
import argparse
import copy
import functools
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.runner.checkpoint import _load_checkpoint_with_prefix

from ..conftest import RESNET18_CHANNELS as _RESNET18_CHANNELS
from ..conftest import ROOT

DET_CONFIG_DIR = osp.join(ROOT, 'configs', 'benchmarks', 'mmdetection')
#: what the benchmark scripts read from the environment
SCRIPT_ENV = ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS', 'PORT',
              'JOB_NAME', 'WORK_DIR', 'MIM', 'PYTHON')
#: detection benchmarks run with another detector's own protocol (not the
#: DetCo authors' detectron2 configs that DET_CONFIGS follow), tested in
#: test_sparse_rcnn_and_seg.py and test_protocol.py
OTHER_PROTOCOL_CONFIGS = (
    'coco/sparse-rcnn_r50_fpn_300-proposals_crop-ms-3x_coco.py', )
# the benchmark matrix (the folder demo/ belongs to the embedded demo)
DET_CONFIGS = sorted(
    p for folder in ('voc0712', 'coco', 'cityscapes')
    for p in glob.glob(osp.join(DET_CONFIG_DIR, folder, '*.py'))
    if osp.relpath(p, DET_CONFIG_DIR) not in OTHER_PROTOCOL_CONFIGS)

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
# a list: MMDetection's FPN asserts one
RESNET18_CHANNELS = list(_RESNET18_CHANNELS)


def config_path(rel: str) -> str:
    return osp.join(DET_CONFIG_DIR, rel)


@functools.lru_cache(maxsize=None)
def _read_config(path: str) -> Config:
    return Config.fromfile(path)


def load_config(path: str) -> Config:
    """``Config.fromfile`` (a fresh copy; reading resolves the ``mmdet::``
    bases, which is slow, so each file is read once)."""
    return copy.deepcopy(_read_config(path))


def is_c4(cfg: Config) -> bool:
    return cfg.model.get('roi_head', {}).get('shared_head') is not None


def run_script(
    script: str,
    *args: str,
    fake: str = 'mim',
    env: Optional[Dict[str, str]] = None,
    folder: str = 'mmdetection'
) -> Tuple[subprocess.CompletedProcess, Optional[List[str]]]:
    """Run ``tools/benchmarks/<folder>/<script>`` with a fake ``fake``
    executable that records its arguments: the finished process and the
    recorded arguments (None if the fake was not run). ``fake='mim'``
    replaces mim (through ``MIM``); ``'python'`` or ``'srun'`` replace what
    the script runs when mim is not installed. The scripts' variables
    (``SCRIPT_ENV``) are cleared from the environment, then ``env`` is
    added."""
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'argv.json')
        exe = osp.join(tmp, fake)
        with open(exe, 'w') as f:
            f.write(f'#!{sys.executable}\nimport json, sys\n'
                    f'json.dump(sys.argv[1:], open({out!r}, "w"))\n')
        os.chmod(exe, 0o755)
        environ = {k: v for k, v in os.environ.items() if k not in SCRIPT_ENV}
        if fake == 'mim':
            environ['MIM'] = exe
        else:
            environ['MIM'] = 'mim-is-not-installed'
            environ['PATH'] = tmp + os.pathsep + environ['PATH']
        environ.update(env or {})
        path = osp.join(ROOT, 'tools', 'benchmarks', folder, script)
        result = subprocess.run(['bash', path, *args],
                                cwd=ROOT,
                                env=environ,
                                capture_output=True,
                                text=True,
                                timeout=60)
        if not osp.isfile(out):
            return result, None
        with open(out) as f:
            return result, json.load(f)


def script_args(script: str,
                *args: str,
                fake: str = 'mim',
                env: Optional[Dict[str, str]] = None,
                folder: str = 'mmdetection') -> List[str]:
    """The arguments a benchmark script gives to ``fake`` (see
    :func:`run_script`); the script must succeed."""
    result, argv = run_script(script, *args, fake=fake, env=env, folder=folder)
    assert result.returncode == 0, result.stderr
    assert argv is not None, result.stderr
    return argv


def parse_cfg_options(argv: List[str]) -> Dict:
    """The ``--cfg-options`` in ``argv``, parsed (and merged when given
    more than once) as MMDetection's ``tools/train.py`` does."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args, _ = parser.parse_known_args(argv)
    return args.cfg_options or {}


def train_script_options(cfg_path: str, checkpoint: str, *extra:
                         str) -> Tuple[Dict, List[str]]:
    """The ``--cfg-options`` of the right ``mim_dist_train_*.sh`` for a
    config, and the arguments it gives to ``mim``."""
    cfg = load_config(cfg_path)
    script = 'mim_dist_train_c4.sh' if is_c4(cfg) else 'mim_dist_train_fpn.sh'
    argv = script_args(script, cfg_path, checkpoint, *extra, env={'GPUS': '1'})
    return parse_cfg_options(argv), argv


def pretrain_work_dir(cfg_path: str, pretrain: str, cwd: str = ROOT) -> str:
    """The default work dir of the training scripts
    (``pretrain_work_dir`` in tools/benchmarks/launch.sh): the config name,
    then the pre-training's folder and name and a hash of its absolute
    path."""
    path = osp.normpath(osp.join(cwd, pretrain))
    digest = hashlib.sha1(path.encode()).hexdigest()[:8]
    parent = osp.basename(osp.dirname(path)) or 'root'
    stem = osp.splitext(osp.basename(path))[0]
    name = osp.splitext(osp.basename(cfg_path))[0]
    return f'work_dirs/benchmarks/{name}/{parent}_{stem}-{digest}'


def write_voc_copy(demo_root: str, out_root: str) -> str:
    """Write the demo data set (COCO json) as a VOC devkit: demo label ``i``
    becomes VOC class ``i``; train -> VOC2007 and VOC2012 trainval, val ->
    VOC2007 test. The first object of every training image is marked
    difficult. Returns the devkit folder."""
    devkit = osp.join(out_root, 'VOCdevkit')
    for split, year, subset, prefix in (('train', 'VOC2007', 'trainval', '1'),
                                        ('train', 'VOC2012', 'trainval', '1'),
                                        ('val', 'VOC2007', 'test', '2')):
        with open(
                osp.join(demo_root, 'annotations',
                         f'instances_{split}.json')) as f:
            coco = json.load(f)
        cat2label = {
            cat['id']: i
            for i, cat in enumerate(
                sorted(coco['categories'], key=lambda c: c['id']))
        }
        base = osp.join(devkit, year)
        for sub in ('Annotations', 'ImageSets/Main', 'JPEGImages'):
            os.makedirs(osp.join(base, sub), exist_ok=True)
        names = []
        for img in coco['images']:
            name = prefix + osp.splitext(osp.basename(img['file_name']))[0]
            names.append(name)
            shutil.copy(
                osp.join(demo_root, split, img['file_name']),
                osp.join(base, 'JPEGImages', name + '.jpg'))
            root = ET.Element('annotation')
            ET.SubElement(root, 'filename').text = name + '.jpg'
            size = ET.SubElement(root, 'size')
            for key, value in (('width', img['width']),
                               ('height', img['height']), ('depth', 3)):
                ET.SubElement(size, key).text = str(value)
            anns = [
                a for a in coco['annotations'] if a['image_id'] == img['id']
            ]
            for k, ann in enumerate(anns):
                obj = ET.SubElement(root, 'object')
                ET.SubElement(
                    obj,
                    'name').text = VOC_CLASSES[cat2label[ann['category_id']]]
                ET.SubElement(obj, 'difficult').text = str(
                    int(k == 0 and split == 'train'))
                box = ET.SubElement(obj, 'bndbox')
                x, y, w, h = ann['bbox']
                # 1-based, inclusive corners
                for key, value in (('xmin', x + 1), ('ymin', y + 1),
                                   ('xmax', x + w), ('ymax', y + h)):
                    ET.SubElement(box, key).text = str(int(round(value)))
            ET.ElementTree(root).write(
                osp.join(base, 'Annotations', name + '.xml'))
        with open(osp.join(base, 'ImageSets', 'Main', subset + '.txt'),
                  'w') as f:
            f.write('\n'.join(names) + '\n')
    return devkit + '/'


def _shrink_pipeline(pipeline: list, size: int) -> None:
    for i, t in enumerate(pipeline):
        if t['type'] in ('Resize', 'RandomResize', 'RandomChoiceResize'):
            pipeline[i] = dict(
                type='Resize', scale=(size, size), keep_ratio=True)


def _datasets(dataset_cfg) -> list:
    """The leaf datasets of a (possibly concatenated) dataset config."""
    if dataset_cfg.get('datasets') is not None:
        return [d for sub in dataset_cfg.datasets for d in _datasets(sub)]
    if dataset_cfg.get('dataset') is not None:
        return _datasets(dataset_cfg.dataset)
    return [dataset_cfg]


def shrink_to_resnet18(model) -> None:
    """ResNet-18 channels in a ResNet-50 detector config."""
    model.backbone.depth = 18
    if model.get('neck') is not None:
        model.neck.in_channels = RESNET18_CHANNELS
    roi_head = model.get('roi_head')
    if roi_head is not None and roi_head.get('shared_head') is not None:
        # C4: res4 has 256 channels, res5 (the shared head) 512
        model.rpn_head.in_channels = 256
        model.rpn_head.feat_channels = 256
        roi_head.shared_head.depth = 18
        roi_head.bbox_roi_extractor.out_channels = 256
        roi_head.bbox_head.in_channels = 512
        if roi_head.get('mask_head') is not None:
            roi_head.mask_head.in_channels = 512


def shrink(cfg: Config,
           work_dir: str,
           coco_root: Optional[str] = None,
           voc_root: Optional[str] = None,
           classes: Optional[tuple] = None,
           size: int = 128,
           iters: int = 2) -> Config:
    """Shrink a benchmark config for a CPU test: ResNet-18, images of
    ``size``, batch 2, ``iters`` iterations, precise BN on 2 batches, no
    workers, fewer proposals; point it at the demo data (COCO json or its
    VOC copy)."""
    shrink_to_resnet18(cfg.model)
    train_cfg, test_cfg = cfg.model.train_cfg, cfg.model.test_cfg
    if 'rpn_proposal' in train_cfg:
        train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
        train_cfg.rcnn.sampler.num = 8
        test_cfg.rpn.update(nms_pre=200, max_per_img=20)
        # keep the detections of the untrained heads
        test_cfg.rcnn.update(score_thr=0.0, max_per_img=20)
    if 'score_thr' in test_cfg:  # RetinaNet: keep the untrained detections
        test_cfg.update(score_thr=0.0, nms_pre=100, max_per_img=20)
    cfg.work_dir = work_dir
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = iters
    cfg.visualizer.pop('name', None)  # one visualizer per runner
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'PostTrainingBNStatsHook':  # precise BN on 2 batches
            hook.num_iters = 2
    cfg.randomness = dict(seed=0)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(
            batch_size=2 if name == 'train_dataloader' else 1,
            num_workers=0,
            persistent_workers=False)
        for dataset in _datasets(loader.dataset):
            _shrink_pipeline(dataset.pipeline, size)
            if voc_root is not None:
                dataset.data_root = voc_root
            elif coco_root is not None:
                split = 'train' if name == 'train_dataloader' else 'val'
                dataset.data_root = coco_root
                dataset.ann_file = f'annotations/instances_{split}.json'
                dataset.data_prefix = dict(img=f'{split}/')
                dataset.metainfo = dict(classes=classes)
    if coco_root is not None:
        evaluators = cfg.val_evaluator if isinstance(
            cfg.val_evaluator, list) else [cfg.val_evaluator]
        for evaluator in evaluators:
            evaluator.ann_file = osp.join(coco_root, 'annotations',
                                          'instances_val.json')
        num_classes = len(classes)
        heads = [cfg.model.get('bbox_head')]
        if cfg.model.get('roi_head') is not None:
            heads += [
                cfg.model.roi_head.get('bbox_head'),
                cfg.model.roi_head.get('mask_head')
            ]
        for head in heads:
            if head is not None:
                head.num_classes = num_classes
    cfg.test_evaluator = cfg.val_evaluator
    return cfg


def prefix_key_sets(checkpoint: str,
                    module: torch.nn.Module,
                    prefix: str = 'backbone.') -> Tuple[set, set, Dict]:
    """What mmengine's ``Pretrained(prefix=prefix)`` init loads into
    ``module``: (missing keys, unexpected keys, the prefixed state dict).
    It uses mmengine's own ``_load_checkpoint_with_prefix``."""
    source = _load_checkpoint_with_prefix(prefix, checkpoint, 'cpu')
    target = set(module.state_dict())
    return target - set(source), set(source) - target, source


def last_val_scalars(work_dir: str) -> Dict:
    """The validation metrics that LocalVisBackend logged last."""
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(files) == 1, files
    metrics = {}
    with open(files[0]) as f:
        for line in f:
            record = json.loads(line)
            if not any(k.startswith('loss') for k in record):
                metrics.update(record)
    return metrics
