# Copyright (c) mmdetco contributors. All rights reserved.
"""The package is described in setup.cfg; this file only puts the files
OpenMMLab packages ship beside their modules into ``mmdetco/.mim``, where
``mim`` (``mim search`` / ``mim train``) and ``mmdetco.utils.package_file``
find them: links to the checkout for an editable install, copies for a
wheel or an sdist."""
import os
import os.path as osp
import shutil
import sys
from setuptools import setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def add_mim_extension() -> None:
    """Link (editable install) or copy (wheel, sdist) ``MIM_FILES`` into
    ``mmdetco/.mim``."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        link = True
    elif {'bdist_wheel', 'sdist', 'install'} & set(sys.argv):
        link = False
    else:
        return
    mim = osp.join(HERE, 'mmdetco', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        if not osp.exists(src):  # building from an sdist: .mim is there
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if link:
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
setup()
