# Copyright (c) mmdetco contributors. All rights reserved.
"""Train a model from a config, as MMPretrain's ``tools/train.py`` does.

Everything a DetCo run does is in its config (docs/en/launch.md), so this
script, MIM's and MMPretrain's ``tools/train.py`` and ``Runner.from_cfg``
train the same way. Besides MMPretrain's options it has ``--amp bf16`` and
``--gpu-aug``, which trains the ``*_gpuaug.py`` variant of the config.
"""
from mmdetco.utils.runner_args import build_runner, train_config, train_parser


def main():
    args = train_parser().parse_args()
    build_runner(train_config(args)).train()


if __name__ == '__main__':
    main()
