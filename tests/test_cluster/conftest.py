# Copyright (c) mmdetco contributors. All rights reserved.
"""The DDP tier (``make test-cluster``, marker ``cluster``): minutes of
multi-process training, so it runs only when selected with ``-m cluster``."""
import pytest


def pytest_collection_modifyitems(config, items):
    """Skip the ``cluster`` tests unless ``-m`` names the marker (``pytest
    tests`` then stays as fast as ``make test``)."""
    if 'cluster' in (config.option.markexpr or ''):
        return
    skip = pytest.mark.skip(reason='the DDP tier: make test-cluster')
    for item in items:
        if item.get_closest_marker('cluster'):
            item.add_marker(skip)
