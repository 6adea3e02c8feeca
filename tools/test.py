# Copyright (c) mmdetco contributors. All rights reserved.
"""Test a checkpoint on a config's test set, as MMPretrain's
``tools/test.py`` does: ``runner.test()`` logs the metrics of the config's
``test_evaluator``.

Pre-training configs have no test set: their checkpoints are evaluated by
the kNN monitor's figure (``tools/analysis_tools/knn_eval.py``) or by the
benchmarks, whose configs (``configs/benchmarks/``, e.g. the demo detector
with the checkpoint of its fine-tuning) this script tests::

    python tools/test.py CONFIG CHECKPOINT [--out RESULTS.pkl]
        [--work-dir DIR] [--cfg-options ...] [--launcher ...]
"""
import argparse
import os.path as osp
import sys

from mmdetco.utils.runner_args import (add_runner_args, build_runner,
                                       runner_config)


def parse_args(args=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (path or URL)')
    parser.add_argument(
        '--out',
        help='also dump the predictions of every test sample to this '
        '.pkl file')
    add_runner_args(parser)
    args = parser.parse_args(args)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must be a .pkl or .pickle file, got {args.out}')
    return args


def main():
    args = parse_args()
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        sys.exit(f'no such checkpoint: {args.checkpoint}')
    cfg = runner_config(args)
    if cfg.get('test_dataloader') is None:
        sys.exit(f'{args.config} has no `test_dataloader`: a pre-training '
                 'config has none (evaluate its checkpoint with '
                 'tools/analysis_tools/knn_eval.py or a benchmark config)')
    cfg.load_from = args.checkpoint
    if args.out is not None:
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = [
            *evaluators,
            dict(type='DumpResults', out_file_path=args.out)
        ]
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
