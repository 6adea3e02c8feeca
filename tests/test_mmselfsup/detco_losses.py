# Copyright (c) mmdetco contributors. All rights reserved.
"""DetCo's loss terms for a checkpoint and a batch, in whichever environment
(MMPretrain or MMSelfSup) runs it::

    python detco_losses.py CONFIG CHECKPOINT BATCH OUT [KEY=VALUE ...]

Builds the model of CONFIG in its default scope, loads the ``state_dict`` of
CHECKPOINT (recording the missing and unexpected keys), passes the raw views
of BATCH (``torch.save``-d ``{'inputs': [uint8 tensors]}``) through the
model's data preprocessor and ``loss`` and saves to OUT (JSON) the loss
values and the keys. ``KEY=VALUE`` pairs override the config, as
``--cfg-options`` does.
"""
import argparse
import json
from typing import Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import mmdetco  # noqa: F401  (registers DetCo; safe checkpoint loading)
from mmdetco.compat import MODELS, DataSample


def detco_losses(config: str,
                 checkpoint: str,
                 batch: str,
                 options: Optional[dict] = None) -> dict:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options or {})
    init_default_scope(cfg.default_scope)
    # as the Runner does: a top-level data_preprocessor joins the model's
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model)
    state_dict = torch.load(checkpoint, map_location='cpu')['state_dict']
    keys = model.load_state_dict(state_dict, strict=False)
    inputs = torch.load(batch)['inputs']
    model.train()
    torch.manual_seed(0)
    data = model.data_preprocessor(
        dict(
            inputs=inputs,
            data_samples=[DataSample() for _ in range(len(inputs[0]))]), True)
    losses = model(**data, mode='loss')
    return dict(
        losses={
            name: value.item()
            for name, value in losses.items() if name.startswith('loss')
        },
        missing_keys=keys.missing_keys,
        unexpected_keys=keys.unexpected_keys)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    for name in ('config', 'checkpoint', 'batch', 'out'):
        parser.add_argument(name)
    parser.add_argument('options', nargs='*', action=DictAction)
    args = parser.parse_args()
    with open(args.out, 'w') as f:
        json.dump(
            detco_losses(args.config, args.checkpoint, args.batch,
                         args.options), f)
