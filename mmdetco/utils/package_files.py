# Copyright (c) mmdetco contributors. All rights reserved.
"""The files mmdetco ships beside its modules, as OpenMMLab packages do:
``configs/``, ``tools/`` and ``model-index.yml`` in ``mmdetco/.mim``
(links to the checkout's after ``pip install -e .``, copies in a wheel;
``setup.py``). ``mim`` finds them there, and so does the library."""
import os.path as osp

MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


def package_file(path: str) -> str:
    """The absolute path of ``path``, relative to ``mmdetco/.mim`` (e.g.
    ``configs/detco/...py``, ``tools/train.py``) unless already absolute.

    Raises:
        FileNotFoundError: If there is no such file, naming the folder
            that should hold it.
    """
    full = osp.join(MIM_ROOT, path)
    if not osp.exists(full):
        raise FileNotFoundError(
            f'{full} does not exist: mmdetco ships its configs, tools and '
            f'model-index.yml in {MIM_ROOT}, which `pip install .` (or '
            '`pip install -e .` in a checkout) puts in place.')
    return full
