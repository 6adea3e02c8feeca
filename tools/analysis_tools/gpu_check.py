# Copyright (c) mmdetco contributors. All rights reserved.
"""Check a machine before a long DetCo job: mmcv's ops, DetCo pre-training
steps, MMDetection's Mask R-CNN FPN benchmark, a resumed multi-GPU run of
the ResNet-50 config and its data loader.

On a GPU: ``nms`` and ``RoIAlign`` of ``mmcv.ops`` on CUDA tensors; DetCo
ResNet-50 (batch 32, 224 px views, 64 px patches) for 20 steps in fp32, bf16
and bf16 + ``channels_last``, with img/s and peak memory; Mask R-CNN R50-FPN
(the COCO benchmark's model) for 10 steps on a random batch of 2 COCO-sized
images (800 x 1216) with boxes and masks; ``resume``: the R50 config
through ``tools/dist_train.sh`` on every GPU (NCCL), 20 iterations with a
resume after 10 (the losses must repeat); ``loader``: its training data
loader's samples/s against the model's img/s (``gpu_check_legs.py``). On a
CPU a reduced version (ResNet-18, small views and images, 2 steps, 2 gloo
processes) checks the same code paths.

Prints one JSON line (``pass``, ``failures`` and the figures, see
docs/en/gpu_install.md) and exits 1 on a failure::

    python tools/analysis_tools/gpu_check.py
    python tools/analysis_tools/gpu_check.py --ops-only  # tools/setup_env.sh
    python tools/analysis_tools/gpu_check.py --legs resume loader
"""
import argparse
import json
import os.path as osp
import shutil
import sys
import tempfile
import time
import traceback
from types import SimpleNamespace
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MASK_RCNN = osp.join(ROOT, 'configs', 'benchmarks', 'mmdetection', 'coco',
                     'mask-rcnn_r50_fpn_ms-1x_coco.py')
#: (ResNet depth, batch, global view, patch, steps) of the DetCo check and
#: (image height, width, steps) of the Mask R-CNN one.
FULL = dict(detco=(50, 32, 224, 64, 20), mask_rcnn=(800, 1216, 10))
REDUCED = dict(detco=(18, 4, 64, 32, 2), mask_rcnn=(192, 256, 1))
#: The legs (``--legs``) and the checks (result keys) of each.
LEGS = dict(
    ops=('ops', ),
    detco=('detco_fp32', 'detco_bf16', 'detco_bf16_channels_last'),
    mask_rcnn=('mask_rcnn_fpn', ),
    resume=('resume', ),
    loader=('loader', ))


def fix_for_ops(device: str) -> str:
    return (f'mmcv {mmcv.__version__} has no {device.upper()} ops for this '
            'machine: on this GPU node run `FORCE_CUDA=1 bash '
            'tools/setup_env.sh` (it rebuilds mmcv for the visible GPUs), '
            'or install a prebuilt CUDA wheel (`mim install '
            f'mmcv=={mmcv.__version__}`, docs/en/gpu_install.md).')


def check_ops(device: str) -> dict:
    """Run ``nms`` and ``RoIAlign`` of ``mmcv.ops`` on ``device``."""
    from mmcv.ops import RoIAlign, get_compiling_cuda_version, nms
    cuda = get_compiling_cuda_version()
    if device == 'cuda' and cuda == 'not available':
        raise RuntimeError(fix_for_ops(device))
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [50., 50., 60., 60.]],
                         device=device)
    scores = torch.tensor([0.9, 0.8, 0.7], device=device)
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    if keep.tolist() != [0, 2]:
        raise RuntimeError(f'nms kept {keep.tolist()}, expected [0, 2]')
    # a ramp 8 y + x: each 4 x 4 bin averages its samples at 1, 3 / 5, 7
    feats = torch.arange(64., device=device).reshape(1, 1, 8, 8)
    rois = torch.tensor([[0., 0., 0., 8., 8.]], device=device)
    pooled = RoIAlign((2, 2), 1.0, 2, aligned=False)(feats, rois)
    if pooled.flatten().tolist() != [18., 22., 50., 54.]:
        raise RuntimeError(f'RoIAlign gave {pooled.flatten().tolist()}, '
                           'expected [18, 22, 50, 54]')
    return dict(device=device, mmcv=mmcv.__version__, mmcv_cuda=cuda)


def check_detco(device: str, amp: bool, channels_last: bool,
                size: tuple) -> dict:
    """Img/s and peak memory of DetCo training steps."""
    from benchmark_pretrain import DETCO, batch, build_model, detco_config
    depth, batch_size, global_size, patch, steps = size
    args = SimpleNamespace(
        depth=depth,
        channels_last=channels_last,
        compile=False,
        global_size=global_size,
        crop_size=3 * patch,
        patch_size=patch,
        batch_size=batch_size,
        device=device,
        amp='bf16' if amp else None)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        cfg = detco_config(DETCO, args)
        model, optim = build_model(cfg, args)
    data = batch(args, cfg.model.get('num_patches', 9))
    return timed(lambda: model.train_step(data, optim), device, steps,
                 batch_size, amp)


def coco_batch(height: int, width: int, device: str) -> dict:
    """Two random COCO-sized images with 5 boxes and masks each."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    rng = np.random.default_rng(0)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(
            torch.randint(0, 256, (3, height, width), dtype=torch.uint8))
        xy = rng.uniform(0, [width / 2, height / 2], (5, 2))
        wh = rng.uniform(16, [width / 2, height / 2], (5, 2))
        boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
        masks = np.zeros((5, height, width), dtype=np.uint8)
        for mask, (x1, y1, x2, y2) in zip(masks, boxes.astype(int)):
            mask[y1:y2, x1:x2] = 1
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(boxes),
            labels=torch.from_numpy(rng.integers(0, 80, 5)),
            masks=BitmapMasks(masks, height, width))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def check_mask_rcnn(device: str, size: tuple) -> dict:
    """Img/s and peak memory of Mask R-CNN FPN training steps (randomly
    initialised, BN instead of SyncBN: one process)."""
    from mmdet.registry import MODELS

    import mmdetco.det  # noqa: F401
    height, width, steps = size
    cfg = Config.fromfile(MASK_RCNN)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(device)
    model.init_weights()
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.001))
    data = coco_batch(height, width, device)

    def step():
        losses = model.train_step(data, optim)
        total = sum(v for k, v in losses.items() if 'loss' in k)
        if not torch.isfinite(total):
            raise FloatingPointError(f'Mask R-CNN loss {total.item()}')

    return timed(step, device, steps, 2, False)


def timed(step, device: str, steps: int, images: int, amp: bool) -> dict:
    """Run ``step`` once to warm up and ``steps`` times timed."""
    cuda = device == 'cuda'
    with torch.autocast('cpu', torch.bfloat16, enabled=amp and not cuda):
        step()
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        if cuda:
            torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return dict(
        img_s=round(images * steps / seconds, 2),
        peak_mib=round(torch.cuda.max_memory_allocated() /
                       2**20) if cuda else None)


def model_img_s(result: dict, given: Optional[float]) -> Optional[float]:
    """``given``, else the fastest DetCo training steps of ``result``."""
    measured = [
        result[name]['img_s'] for name in LEGS['detco']
        if isinstance(result.get(name), dict)
    ]
    return given or (max(measured) if measured else None)


def rerun_command(device: str, leg: str, gpus: int,
                  img_s: Optional[float]) -> str:
    """The command that runs ``leg`` of this check again."""
    command = ('python tools/analysis_tools/gpu_check.py --device '
               f'{device} --legs {leg}')
    if leg == 'resume':
        command += f' --gpus {gpus}'
    if leg == 'loader' and img_s:
        command += f' --model-img-s {img_s}'
    return command


def run_checks(device: str, legs: Sequence[str], opts=None) -> dict:
    """Every check of ``legs``, its figures or its failure (naming its leg
    and the command that reruns it).

    ``opts``: ``gpus`` (processes of the resume leg; default every GPU, 2
    on the CPU), ``model_img_s`` (for the loader leg) and ``work_dir`` of
    the resume and loader legs (kept; default a temporary folder, removed
    if every check passed).
    """
    import gpu_check_legs as legs_
    opts = opts or SimpleNamespace(gpus=None, model_img_s=None, work_dir=None)
    size = FULL if device == 'cuda' else REDUCED
    gpus = opts.gpus or (torch.cuda.device_count() if device == 'cuda' else 2)
    work_dir = opts.work_dir
    if work_dir is None and {'resume', 'loader'} & set(legs):
        work_dir = tempfile.mkdtemp(prefix='gpu_check_')

    def loader():
        data = legs_.make_data(work_dir, device, gpus)
        return legs_.check_loader(device, data, gpus,
                                  model_img_s(result, opts.model_img_s))

    checks = dict(
        ops=lambda: check_ops(device),
        detco_fp32=lambda: check_detco(device, False, False, size['detco']),
        detco_bf16=lambda: check_detco(device, True, False, size['detco']),
        detco_bf16_channels_last=lambda: check_detco(device, True, True, size[
            'detco']),
        mask_rcnn_fpn=lambda: check_mask_rcnn(device, size['mask_rcnn']),
        resume=lambda: legs_.check_resume(device, work_dir, gpus),
        loader=loader)
    result = dict(
        device=torch.cuda.get_device_name() if device == 'cuda' else 'cpu',
        reduced=device != 'cuda',
        torch=torch.__version__,
        torch_cuda=torch.version.cuda)
    failures = []
    for leg in legs:
        for name in LEGS[leg]:
            try:
                result[name] = checks[name]()
            except Exception as exc:  # report every check, then fail
                traceback.print_exc(file=sys.stderr)
                rerun = rerun_command(device, leg, gpus,
                                      model_img_s(result, opts.model_img_s))
                failures.append(
                    f'{name}: {type(exc).__name__}: {exc} (rerun: {rerun})')
    if work_dir is not None:
        if opts.work_dir is None and not failures:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            result['work_dir'] = work_dir
    result.update({'pass': not failures, 'failures': failures})
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--device',
        choices=['cuda', 'cpu'],
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='default: cuda where a GPU is visible (else the reduced check)')
    parser.add_argument(
        '--ops-only', action='store_true', help='only the mmcv ops')
    parser.add_argument(
        '--legs',
        nargs='+',
        choices=list(LEGS),
        default=list(LEGS),
        help='the legs to run (default: all)')
    parser.add_argument(
        '--gpus',
        type=int,
        help='processes of the resume leg (default: every visible GPU; '
        '2 gloo processes on the CPU)')
    parser.add_argument(
        '--model-img-s',
        type=float,
        help='img/s per GPU the loader leg compares with (default: the '
        'fastest detco leg of this run)')
    parser.add_argument(
        '--work-dir',
        help='where the resume and loader legs write their data and runs, '
        'kept (default: a temporary folder, removed if all passed)')
    args = parser.parse_args(argv)
    legs = ['ops'] if args.ops_only else args.legs
    result = run_checks(args.device, legs, args)
    print(json.dumps(result))
    verdict = 'PASS' if result['pass'] else 'FAIL: ' + '; '.join(
        result['failures'])
    if 'loader' in result:
        print(
            f'gpu_check loader: {result["loader"]["verdict"]}',
            file=sys.stderr)
    print(f'gpu_check {verdict}', file=sys.stderr)
    return 0 if result['pass'] else 1


if __name__ == '__main__':
    sys.exit(main())
