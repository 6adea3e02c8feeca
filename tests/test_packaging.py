# Copyright (c) mmdetco contributors. All rights reserved.
"""setup.cfg against the environments the suite runs in (both stacks of
docs/en/gpu_install.md): what it requires is what is tested."""
import configparser
import platform
import re
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from mmdetco.models.utils.view_augmentation import KORNIA_REQUIREMENT
from .conftest import ROOT

REPO = Path(ROOT)


def setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / 'setup.cfg')
    return cfg


def requirements(text):
    return [Requirement(line) for line in text.strip().splitlines() if line]


def test_this_environment_satisfies_setup_cfg():
    """`pip install -e .` installs nothing new here: Python and every
    installed requirement are within setup.cfg's ranges."""
    options = setup_cfg()['options']
    python = platform.python_version()
    assert python in SpecifierSet(options['python_requires']), python
    for requirement in requirements(options['install_requires']):
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed), (requirement,
                                                           installed)


def test_the_gpuaug_extra_is_the_tested_kornia_range():
    extras = setup_cfg()['options.extras_require']
    (kornia, ) = requirements(extras['gpuaug'])
    assert kornia == Requirement(KORNIA_REQUIREMENT)
    pins = [
        Requirement(line)
        for line in (REPO / 'requirements' / 'gpuaug.txt').read_text().split(
            '\n') if line and not line.startswith('#')
    ]
    assert len(pins) == 2  # the ends of the range, one per stack
    for pin in pins:
        (pinned, ) = re.findall(r'==([\d.]+)', str(pin.specifier))
        assert kornia.specifier.contains(pinned), pin
    assert version('kornia') in kornia.specifier
