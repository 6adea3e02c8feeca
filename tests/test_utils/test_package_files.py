# Copyright (c) mmdetco contributors. All rights reserved.
import os.path as osp

import pytest

from mmdetco.utils import package_file
from mmdetco.utils.package_files import MIM_ROOT
from mmdetco_demo import DETCO_CONFIG
from ..conftest import ROOT


def test_configs_and_tools_resolve_in_the_package():
    """In this checkout's editable install ``.mim`` links to the checkout's
    own files."""
    config = package_file(DETCO_CONFIG)
    assert config == osp.join(MIM_ROOT, DETCO_CONFIG)
    assert osp.samefile(config, osp.join(ROOT, DETCO_CONFIG))
    assert osp.samefile(
        package_file('tools/train.py'), osp.join(ROOT, 'tools', 'train.py'))
    assert osp.samefile(
        package_file('model-index.yml'), osp.join(ROOT, 'model-index.yml'))


def test_an_absolute_path_is_kept():
    path = osp.join(ROOT, DETCO_CONFIG)
    assert package_file(path) == path


def test_a_missing_file_names_the_folder_and_the_fix():
    with pytest.raises(FileNotFoundError) as error:
        package_file('configs/detco/no_such_config.py')
    message = str(error.value)
    assert osp.join(MIM_ROOT, 'configs/detco/no_such_config.py') in message
    assert 'pip install' in message
