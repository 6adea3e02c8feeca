# Copyright (c) mmdetco contributors. All rights reserved.
import torch


def global_rng_restored():
    """A context in which the global torch generators (CPU, and the current
    GPU's) may be used and are restored on exit: e.g. to iterate a data
    loader, which draws from them, without changing the rest of the run."""
    devices = [torch.cuda.current_device()] if \
        torch.cuda.is_available() else []
    return torch.random.fork_rng(devices=devices)
