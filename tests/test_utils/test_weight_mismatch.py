# Copyright (c) mmdetco contributors. All rights reserved.
import torch

from mmdetco.utils.weight_mismatch import (compare_state_dicts,
                                           mismatch_report, suggest_fix)


def test_partial_module_options():
    """The C4 res5 head's options: a part of the file (unexpected keys
    allowed), new keys (``norm.``) allowed missing, the rest compared."""
    module = {
        'layer4.0.weight': torch.ones(2),
        'norm.weight': torch.ones(2),
        'norm.num_batches_tracked': torch.tensor(0)
    }
    offered = {'layer4.0.weight': torch.ones(2), 'conv1.weight': torch.ones(1)}
    assert not any(
        compare_state_dicts(module, offered, ['norm.'], True).values())
    problems = compare_state_dicts(module, offered)
    assert problems['missing'] == ['norm.weight']
    assert problems['unexpected'] == ['conv1.weight']
    offered['layer4.0.weight'] = torch.ones(3)
    assert compare_state_dicts(
        module, offered, ['norm.'],
        True)['misshapen'] == ['layer4.0.weight (3,) != (2,)']


def test_mismatch_report_of_another_model():
    """A file of another model: no prefix holds the module's keys."""
    state = {'conv1.weight': torch.ones(2, 3)}
    file_shapes = {'head.fc.weight': (2, 3), 'head.fc.bias': (2, )}
    problems = compare_state_dicts(state, {})
    assert problems['missing'] == ['conv1.weight']
    fix = suggest_fix('backbone', 'backbone.', file_shapes, state, problems)
    assert fix.startswith('no key of this file starts with `backbone.` and '
                          'no other prefix holds the backbone')
    assert 'keys head. (2)' in fix
    lines = mismatch_report('backbone', 'https://host/model.pth', 'backbone.',
                            file_shapes, state, problems)
    assert lines[0] == '  file:   https://host/model.pth'
    assert lines[-1] == f'  fix: {fix}.'
