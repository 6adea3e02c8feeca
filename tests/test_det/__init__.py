# Copyright (c) mmdetco contributors. All rights reserved.
