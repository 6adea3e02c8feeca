# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo pre-training cost next to MMPretrain's own MoCo v2, in one run.

Model side: training steps (data preprocessor, forward, backward, SGD step)
of DetCo and of MoCo v2 built from MMPretrain's
``mocov2_resnet50_8xb32-coslr-200e_in1k.py``, with the same backbone, batch,
optimiser and view sizes, interleaved after warm-up. Data side: the time per
sample of each training pipeline (MoCo v2's stock one, DetCo's as
configured, DetCo's CPU part in the config's ``*_gpuaug.py`` variant) on one
core, on
decoded images of ImageNet's typical size (``--decode``: from JPEG files).

The last line printed is one JSON object (see docs/en/performance.md)::

    python tools/analysis_tools/benchmark_pretrain.py            # 2 cores
    python tools/analysis_tools/benchmark_pretrain.py --depth 50 \\
        --batch-size 64 --amp bf16 --channels-last --device cuda
"""
import argparse
import copy
import json
import logging
import os
import os.path as osp
import resource
import statistics
import tempfile
import time

import cv2
import mmcv
import mmpretrain
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

import mmdetco  # noqa: F401  (registers DetCo)
from mmdetco.utils import gpu_aug_config
from mmdetco.utils.package_files import package_file
from mmdetco_demo import multi_view_of
from mmdetco_demo.scenes import render_scene

DETCO = package_file('configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py')
MOCOV2 = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'configs', 'mocov2',
    'mocov2_resnet50_8xb32-coslr-200e_in1k.py')
LOADERS = ('LoadImageFromFile', 'LoadImageOrSkip')
FAST = dict(
    RandomResizedCrop='FastRandomResizedCrop',
    RandomGrayscale='FastRandomGrayscale')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DETCO, help='DetCo config')
    parser.add_argument('--depth', type=int, default=18, help='ResNet depth')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--iters', type=int, default=5, help='timed steps')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--global-size', type=int, default=224)
    parser.add_argument(
        '--crop-size', type=int, default=255, help='crop cut into a patch set')
    parser.add_argument('--patch-size', type=int, default=64)
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=(500, 375),
        metavar=('W', 'H'))
    parser.add_argument(
        '--samples',
        type=int,
        default=60,
        help='images per pipeline timing (0: skip)')
    parser.add_argument(
        '--decode',
        action='store_true',
        help='time the pipelines from JPEG files')
    parser.add_argument('--amp', choices=['fp16', 'bf16'])
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--compile', action='store_true')
    parser.add_argument(
        '--gpu-aug',
        action='store_true',
        help='DetCo steps of the config\'s *_gpuaug.py variant')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return parser.parse_args()


def set_views(pipeline, args, global_view):
    """Set the view sizes of a view pipeline in place."""
    for t in pipeline:
        if t['type'] in ('RandomResizedCrop', 'FastRandomResizedCrop'):
            t['scale'] = args.global_size if global_view else args.crop_size
        elif t['type'] == 'JigsawPatches':
            t['patch_size'] = args.patch_size


def with_fast_ops(cfg):
    """MoCo v2's pipeline (or any part of it) with the faster
    implementations of the same operations that DetCo's uses."""
    if isinstance(cfg, list):
        return [with_fast_ops(item) for item in cfg]
    if not isinstance(cfg, dict):
        return cfg
    cfg = {key: with_fast_ops(value) for key, value in cfg.items()}
    cfg['type'] = FAST.get(cfg.get('type'), cfg.get('type'))
    if cfg['type'] == 'ColorJitter':
        cfg['backend'] = 'cv2'
    return cfg


def detco_config(path, args):
    """A DetCo config with the benchmark's depth, options and view sizes."""
    detco = Config.fromfile(path)
    expansion = 1 if args.depth < 50 else 4
    scale = 64 * expansion / detco.model.neck.in_channels[0]
    detco.model.backbone.depth = args.depth
    for field in ('in_channels', 'hid_channels', 'local_hid_channels'):
        if detco.model.neck.get(field):
            detco.model.neck[field] = [
                int(c * scale) for c in detco.model.neck[field]
            ]
    detco.model.update(channels_last=args.channels_last, compile=args.compile)
    views = multi_view_of(detco, path)
    set_views(views['global_pipeline'], args, True)
    set_views(views['patch_pipeline'], args, False)
    return detco


def configs(args):
    """DetCo (as configured / its ``*_gpuaug.py`` variant) and MoCo v2
    configs with the benchmark's depth and view sizes."""
    detco = detco_config(args.config, args)
    gpu_aug = detco_config(gpu_aug_config(args.config), args)
    expansion = 1 if args.depth < 50 else 4

    mocov2 = Config.fromfile(MOCOV2)
    mocov2.model.backbone.depth = args.depth
    channels = 512 * expansion
    mocov2.model.neck.update(in_channels=channels, hid_channels=channels)
    set_views(mocov2.train_dataloader.dataset.pipeline, args, True)
    return detco, gpu_aug, mocov2


def build_model(cfg, args):
    """The model of ``cfg`` with its data preprocessor, on the device."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg).to(args.device)
    if model_cfg.type != 'DetCo':  # DetCo applies both options itself
        if args.channels_last:
            model.to(memory_format=torch.channels_last)
        if args.compile:  # both encoders, as DetCo's option does
            for module in (model.backbone, model.neck,
                           *model.encoder_k.module):
                module.compile()
    model.init_weights()
    model.train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    if args.amp and args.device != 'cpu':
        dtype = dict(fp16='float16', bf16='bfloat16')[args.amp]
        return model, AmpOptimWrapper(optimizer=optimizer, dtype=dtype)
    return model, OptimWrapper(optimizer=optimizer)


def batch(args, num_patches):
    """A collated batch of random uint8 views."""
    size, b = args.global_size, args.batch_size
    fmt = torch.channels_last if args.channels_last else \
        torch.contiguous_format

    def views(side, count):
        return [
            torch.randint(0, 256, (b, 3, side, side),
                          dtype=torch.uint8).contiguous(memory_format=fmt)
            for _ in range(count)
        ]

    inputs = views(size, 2) + views(args.patch_size, 2 * num_patches)
    return dict(inputs=inputs, data_samples=[DataSample() for _ in range(b)])


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_steps(models, args):
    """Median seconds per training step and peak memory of each model."""
    times = {name: [] for name in models}
    memory = {}
    for step in range(args.warmup + args.iters):
        names = list(models) if step % 2 else list(models)[::-1]
        for name in names:
            model, optim, data = models[name]
            if args.device.startswith('cuda'):
                torch.cuda.reset_peak_memory_stats()
            sync(args.device)
            start = time.perf_counter()
            if args.amp and args.device == 'cpu':
                with torch.autocast('cpu', dtype=torch.bfloat16):
                    model.train_step(data, optim)
            else:
                model.train_step(data, optim)
            sync(args.device)
            if step >= args.warmup:
                times[name].append(time.perf_counter() - start)
            if args.device.startswith('cuda'):
                memory[name] = max(
                    memory.get(name, 0),
                    torch.cuda.max_memory_allocated() / 2**20)
    return {n: statistics.median(t) for n, t in times.items()}, memory


def images(args, folder):
    """Decoded scenes of ``--image-size`` (and their JPEG files)."""
    width, height = args.image_size
    rng = np.random.default_rng(0)
    out = []
    for i in range(min(args.samples, 8)):
        img = render_scene(rng, size=max(width, height))[0][:height, :width]
        img = np.ascontiguousarray(img[..., ::-1])  # BGR, as loaded
        path = osp.join(folder, f'{i}.jpg')
        mmcv.imwrite(img, path)
        out.append((img, path))
    return out


def time_pipelines(pipelines, args):
    """Mean milliseconds per sample of each pipeline on one core."""
    if args.samples <= 0:
        return {}
    built = {}
    for name, pipeline in pipelines.items():
        if not args.decode:
            pipeline = [t for t in pipeline if t['type'] not in LOADERS]
        built[name] = [TRANSFORMS.build(copy.deepcopy(t)) for t in pipeline]
    affinity, threads = os.sched_getaffinity(0), cv2.getNumThreads()
    torch_threads = torch.get_num_threads()
    os.sched_setaffinity(0, {min(affinity)})
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    totals = dict.fromkeys(built, 0.)
    try:
        with tempfile.TemporaryDirectory() as folder:
            scenes = images(args, folder)
            for i in range(args.samples):
                img, path = scenes[i % len(scenes)]
                for name, transforms in built.items():
                    results = dict(img_path=path) if args.decode else dict(
                        img=img.copy(),
                        img_shape=img.shape[:2],
                        ori_shape=img.shape[:2])
                    start = time.perf_counter()
                    for t in transforms:
                        results = t(results)
                    totals[name] += time.perf_counter() - start
    finally:
        os.sched_setaffinity(0, affinity)
        cv2.setNumThreads(threads)
        torch.set_num_threads(torch_threads)
    return {n: 1e3 * t / args.samples for n, t in totals.items()}


def main():
    args = parse_args()
    if args.amp == 'fp16' and args.device == 'cpu':
        raise SystemExit('--amp fp16 needs a GPU; on the CPU use --amp bf16')
    init_default_scope('mmpretrain')
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    torch.manual_seed(0)
    detco_cfg, gpu_aug_cfg, mocov2_cfg = configs(args)

    pipeline_ms = time_pipelines(
        dict(
            mocov2=mocov2_cfg.train_dataloader.dataset.pipeline,
            mocov2_same_ops=with_fast_ops(
                mocov2_cfg.train_dataloader.dataset.pipeline),
            detco=detco_cfg.train_dataloader.dataset.pipeline,
            detco_gpu_aug=gpu_aug_cfg.train_dataloader.dataset.pipeline), args)

    detco, detco_optim = build_model(
        gpu_aug_cfg if args.gpu_aug else detco_cfg, args)
    mocov2, mocov2_optim = build_model(mocov2_cfg, args)
    num_patches = detco.num_patches
    models = dict(
        detco=(detco, detco_optim, batch(args, num_patches)),
        mocov2=(mocov2, mocov2_optim, batch(args, 0)))
    step_s, memory = time_steps(models, args)
    if not memory:  # CPU: the process's peak resident memory, both models
        memory = dict(
            process=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    pixel_ratio = 1 + num_patches * args.patch_size**2 / args.global_size**2
    local_mlp_params = sum(p.numel()
                           for p in detco.neck.local_mlps.parameters())

    for name, seconds in step_s.items():
        print(f'{name:>14}: {seconds:.3f} s/step, '
              f'{args.batch_size / seconds:.1f} img/s')
    for name, ms in pipeline_ms.items():
        print(f'{name:>14}: {ms:.1f} ms/sample on one core')
    result = dict(
        step_ratio=step_s['detco'] / step_s['mocov2'],
        pixel_ratio=pixel_ratio,
        pipeline_ratio=None,
        pipeline_ratio_gpu_aug=None,
        local_mlp_params=local_mlp_params,
        peak_memory_mb=memory,
        device=torch.cuda.get_device_name()
        if args.device.startswith('cuda') else f'cpu ({os.cpu_count()} '
        f'cores, {torch.get_num_threads()} threads)',
        step_s=step_s,
        img_per_s={
            n: args.batch_size / s
            for n, s in step_s.items()
        },
        pipeline_ms_per_sample=pipeline_ms,
        settings=vars(args))
    if pipeline_ms:
        result.update(
            pipeline_ratio=pipeline_ms['detco'] / pipeline_ms['mocov2'],
            pipeline_ratio_gpu_aug=pipeline_ms['detco_gpu_aug'] /
            pipeline_ms['mocov2'],
            pipeline_ratio_same_ops=pipeline_ms['detco'] /
            pipeline_ms['mocov2_same_ops'])
    print(json.dumps(result))


if __name__ == '__main__':
    main()
