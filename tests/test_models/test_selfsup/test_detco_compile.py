# Copyright (c) mmdetco contributors. All rights reserved.
"""``model.compile``: a short run of the demo config with its kNN monitor and
BN statistics hooks compiles a fixed number of graphs, under dynamo's
recompile limit, whatever the backend (its guards do not depend on it)."""
import pytest
import torch
import torch._dynamo
from mmengine.config import Config
from mmengine.runner import Runner

from mmdetco_demo import DETCO_CONFIG, data_root_options, generate_demo_data
from ...conftest import ROOT

#: dynamo's compilations (first ones and recompiles, over every frame) of
#: a run of 2 epochs of 2 iterations, with the hooks' evaluations before the
#: first iteration and after the last (eager: not compiled): those of the
#: training step's backbones (the second view size, the patches, recompiles
#: them with dynamic sizes) and necks
COMPILATIONS = 6


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('compile') / 'data')
    generate_demo_data(root, num_pretrain=8, num_train=2, num_val=2, size=64)
    return root


def compiled_run(data_root: str, work_dir: str, backend: str) -> dict:
    """Train the demo config, compiled with ``backend``, for 2 epochs of 2
    iterations on 32 px views and 3 x 3 patches of 8 px; dynamo's counters
    of the run."""
    cfg = Config.fromfile(f'{ROOT}/{DETCO_CONFIG}')
    cfg.merge_from_dict(
        dict(
            option.split('=', 1)
            for option in data_root_options(DETCO_CONFIG, data_root)))
    cfg.work_dir = work_dir
    cfg.model.compile = dict(backend=backend)
    cfg.model.queue_len = 16
    views = cfg.train_dataloader.dataset.pipeline[1]
    views.global_pipeline[0].scale = 32
    views.patch_pipeline[0].scale = 36
    views.patch_pipeline[-1].patch_size = 8
    cfg.train_dataloader.update(batch_size=4, num_workers=0)
    for hook in cfg.custom_hooks:
        if 'interval' in hook:
            hook.interval = 2
        for key in ('dataloader', 'query_dataloader'):
            if key in hook:
                hook[key].num_workers = 0
    cfg.train_cfg.max_epochs = 2
    cfg.default_hooks.checkpoint.interval = 2
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    Runner.from_cfg(cfg).train()
    counters = torch._dynamo.utils.counters
    return dict(frames=dict(counters['frames']), stats=dict(counters['stats']))


@pytest.mark.stack
@pytest.mark.slow
def test_recompiles_stay_under_the_limit(data_root, tmp_path, monkeypatch):
    # hitting the limit (a silent fall-back to eager otherwise) fails the run
    if not hasattr(torch._dynamo.config, 'fail_on_recompile_limit_hit'):
        pytest.skip('dynamo of this torch cannot fail on the recompile limit '
                    '(the count is pinned for the current stack)')
    monkeypatch.setattr(torch._dynamo.config, 'fail_on_recompile_limit_hit',
                        True)
    runs = {
        backend: compiled_run(data_root, str(tmp_path / backend), backend)
        for backend in ('eager', 'aot_eager')
    }
    assert runs['eager'] == runs['aot_eager']
    assert runs['eager']['frames']['total'] == COMPILATIONS
