# Copyright (c) mmdetco contributors. All rights reserved.
import torch.nn as nn
from mmengine.model import is_model_wrapper


def get_ori_model(model: nn.Module) -> nn.Module:
    """Get the model inside a model wrapper (e.g. DDP), as MMPretrain's
    ``mmpretrain.utils.get_ori_model``.

    Args:
        model (nn.Module): The model, wrapped or not.

    Returns:
        nn.Module: ``model.module`` if ``model`` is a model wrapper, else
        ``model``.
    """
    return model.module if is_model_wrapper(model) else model
