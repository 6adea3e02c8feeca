# Copyright (c) mmdetco contributors. All rights reserved.
from .split_bn_resnet import SplitBNResNet

__all__ = ['SplitBNResNet']
