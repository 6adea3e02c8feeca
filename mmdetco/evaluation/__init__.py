# Copyright (c) mmdetco contributors. All rights reserved.
from .functional import *  # noqa: F401,F403
