# Copyright (c) mmdetco contributors. All rights reserved.
"""RoIAlign forward + backward: ``SeparableRoIAlign`` against mmcv's and
torchvision's kernels, on the RoIs of a detector's training step.

The RoI extractor of a detector config (default the demo detector's) pools
``--rois`` RoIs an image (boxes of ``--min-size`` to ``--max-size`` pixels)
from random FPN features of ``--batch-size`` images of ``--image-size``
pixels, with its own layer and with mmcv's and torchvision's RoIAlign at the
same settings; the three are timed interleaved after a warm-up, with the
threads torch has (``OMP_NUM_THREADS``). The last line is one JSON object:
the median seconds of each (``layer``, the config's own; ``mmcv``;
``torchvision``: ``forward``, ``backward``) and ``backward_ratio_mmcv`` /
``backward_ratio_torchvision``, the config's layer's backward time over
theirs.

Usage::

    python tools/analysis_tools/benchmark_roi_align.py [CONFIG] \
        [--iters 10] [--rois 128] [--batch-size 8] [--image-size 160]
"""
import argparse
import json
import statistics
import time

import torch
from mmcv.ops import RoIAlign
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdetco.utils.package_files import package_file
from mmdetco_demo import DETECTOR_CONFIG


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', nargs='?', default=package_file(DETECTOR_CONFIG))
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--rois', type=int, default=128)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--image-size', type=int, default=160)
    parser.add_argument('--min-size', type=float, default=8)
    parser.add_argument('--max-size', type=float, default=112)
    return parser.parse_args(argv)


def extractors(config: str) -> dict:
    """The config's ``bbox_roi_extractor`` with its own RoI layers
    (``layer``) and with mmcv's and torchvision's RoIAlign of the same
    settings."""
    from mmdet.registry import MODELS

    import mmdetco_demo.separable_roi_align  # noqa: F401 (registers it)
    cfg = Config.fromfile(config).model.roi_head.bbox_roi_extractor
    args = {
        k: v
        for k, v in cfg.roi_layer.items()
        if k not in ('type', 'use_torchvision')
    }
    built = {}
    for name, use_torchvision in (('layer', None), ('mmcv', False),
                                  ('torchvision', True)):
        with DefaultScope.overwrite_default_scope('mmdet'):
            built[name] = MODELS.build(cfg)
        if use_torchvision is not None:
            built[name].roi_layers = torch.nn.ModuleList(
                RoIAlign(
                    spatial_scale=1 / s,
                    use_torchvision=use_torchvision,
                    **args) for s in cfg.featmap_strides)
    return built


def time_step(extractor, feats, rois, grad):
    """Seconds of the forward and of the backward pass."""
    x = [f.clone().requires_grad_() for f in feats]
    start = time.perf_counter()
    out = extractor(x, rois)
    middle = time.perf_counter()
    out.backward(grad)
    return middle - start, time.perf_counter() - middle


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(0)
    built = extractors(args.config)
    ref = built['layer']
    feats = [
        torch.randn(args.batch_size, ref.out_channels, args.image_size // s,
                    args.image_size // s) for s in ref.featmap_strides
    ]
    num = args.batch_size * args.rois
    wh = torch.rand(num, 2) * (args.max_size - args.min_size) + args.min_size
    xy = torch.rand(num, 2) * (args.image_size - wh)
    index = torch.arange(args.batch_size).repeat_interleave(args.rois)
    rois = torch.cat([index[:, None].float(), xy, xy + wh], 1)
    grad = torch.randn(num, ref.out_channels, *ref.roi_layers[0].output_size)
    times = {name: [] for name in built}
    for step in range(args.iters + 1):
        for name, extractor in built.items():
            if step:  # the first round warms up
                times[name].append(time_step(extractor, feats, rois, grad))
            else:
                time_step(extractor, feats, rois, grad)
    result = dict(
        config=args.config, rois=num, threads=torch.get_num_threads())
    for name, runs in times.items():
        result[name] = dict(
            forward=statistics.median(t[0] for t in runs),
            backward=statistics.median(t[1] for t in runs))
    for name in ('mmcv', 'torchvision'):
        result[f'backward_ratio_{name}'] = round(
            result['layer']['backward'] / result[name]['backward'], 3)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
