# Copyright (c) mmdetco contributors. All rights reserved.
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel

from mmdetco.utils import get_ori_model


def test_get_ori_model_unwraps_a_model_wrapper():
    model = nn.Linear(2, 2)
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapper)
    wrapper.module = model
    assert get_ori_model(wrapper) is model
    assert get_ori_model(model) is model
