# Copyright (c) mmdetco contributors. All rights reserved.
"""``shrink_to_demo``: a DetCo pre-training config at the demo's scale."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmdetco_demo import DETCO_CONFIG, multi_view_of, shrink_to_demo
from ..conftest import ROOT


def ablation(name):
    return osp.join(ROOT, 'configs', 'detco', 'ablations',
                    f'{name}_resnet50_8xb32-coslr-100e_in1k.py')


def test_full_detco_shrinks_to_the_demo_config():
    demo = Config.fromfile(osp.join(ROOT, DETCO_CONFIG))
    shrunk = shrink_to_demo(ablation('detco-gg-ll-lg'))
    assert shrunk.model == demo.model
    assert shrunk.train_dataloader == demo.train_dataloader
    res5 = shrink_to_demo(ablation('detco-localhid9c')).model.neck
    assert res5.local_hid_channels == (576, 1152, 2304, 4608)


def test_shrink_refuses_a_config_that_is_not_detco(tmp_path):
    path = tmp_path / 'mocov2.py'
    path.write_text(f"_base_ = '{ROOT}/configs/mocov2/"
                    "mocov2_resnet18_1xb16-coslr-8e_demo.py'\n")
    with pytest.raises(ValueError, match='not DetCo'):
        shrink_to_demo(str(path))


def test_multi_view_of_finds_the_views_or_names_the_config():
    demo = Config.fromfile(osp.join(ROOT, DETCO_CONFIG))
    views = multi_view_of(demo, DETCO_CONFIG)
    assert views is demo.train_dataloader.dataset.pipeline[1]
    assert views.type == 'DetCoMultiView'
    demo.train_dataloader.dataset.pipeline.pop(1)
    with pytest.raises(ValueError, match='^cfg.py: no `DetCoMultiView`'):
        multi_view_of(demo, 'cfg.py')
