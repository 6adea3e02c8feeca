# Copyright (c) mmdetco contributors. All rights reserved.
"""How ``tools/setup_env.sh`` gets mmcv for the installed torch.

Prints shell assignments (``eval``-ed by the set-up):

- ``MMCV_OPS``: ``cuda`` (ops built with ``FORCE_CUDA=1``) or ``cpu``;
- ``MMCV_KEY``: the wheel cache key, naming the mmcv, torch and Python
  versions and the ops (``cpu`` or ``cuda<nvcc>-sm<arch>+...``);
- ``MMCV_CUDA_HOME``, ``MMCV_ARCHS`` (``TORCH_CUDA_ARCH_LIST``) and
  ``MMCV_CPATH`` (include folders) of a CUDA build;
- ``MMCV_CXX_STD``: the C++ standard torch's headers need;
- ``MMCV_PREBUILT_URL``: OpenMMLab's wheel index for this torch, empty where
  it has none;
- ``MMCV_REASON``: why the ops are what they are.

A CUDA build needs a CUDA torch, a CUDA compiler of the same major version
and the GPU architectures: ``TORCH_CUDA_ARCH_LIST`` if set, else those of
the visible GPUs. ``FORCE_CUDA=1`` makes a missing piece an error,
``FORCE_CUDA=0`` builds CPU ops. See docs/en/gpu_install.md.

Usage: python tools/misc/mmcv_build_plan.py MMCV_VERSION
"""
import argparse
import glob
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

import torch

#: The newest torch (major, minor) OpenMMLab built wheels of each mmcv for.
PREBUILT_TORCH = {'2.0.1': (2, 0), '2.1.0': (2, 1)}
PREBUILT_INDEX = 'https://download.openmmlab.com/mmcv/dist/{cuda}/' \
    'torch{torch}/index.html'


def version_tuple(version: str) -> tuple:
    """``'2.1.2+cu121'`` -> ``(2, 1, 2)``."""
    return tuple(int(x) for x in re.findall(r'\d+', version.split('+')[0]))


def find_cuda_home() -> Optional[str]:
    """The CUDA toolkit: ``CUDA_HOME``, ``CUDA_PATH``, /usr/local/cuda or
    the one of the ``nvcc`` on the PATH; None without one."""
    candidates = [os.environ.get('CUDA_HOME'), os.environ.get('CUDA_PATH')]
    candidates.append('/usr/local/cuda')
    nvcc = shutil.which('nvcc')
    if nvcc:
        candidates.append(osp.dirname(osp.dirname(osp.realpath(nvcc))))
    for home in candidates:
        if home and osp.isfile(osp.join(home, 'bin', 'nvcc')) and \
                osp.isfile(osp.join(home, 'include', 'cuda_runtime.h')):
            return home
    return None


def nvcc_version(cuda_home: str) -> str:
    """The release of ``nvcc``, e.g. ``'13.0'``."""
    out = subprocess.run([osp.join(cuda_home, 'bin', 'nvcc'), '--version'],
                         capture_output=True,
                         text=True).stdout
    found = re.search(r'release (\d+\.\d+)', out)
    return found.group(1) if found else 'unknown'


def visible_archs() -> List[str]:
    """The compute capabilities of the visible GPUs, e.g. ``['9.0']``."""
    if not torch.cuda.is_available():
        return []
    return sorted({
        '%d.%d' % torch.cuda.get_device_capability(i)
        for i in range(torch.cuda.device_count())
    })


def cuda_headers(cuda_home: str) -> str:
    """Include folders of the NVIDIA wheels for headers the toolkit lacks
    (a CUDA 13 toolkit without ``cusparse.h``, which torch includes)."""
    if osp.isfile(osp.join(cuda_home, 'include', 'cusparse.h')):
        return ''
    found = glob.glob(
        osp.join(osp.dirname(torch.__path__[0]), 'nvidia', '*', 'include',
                 'cusparse.h'))
    return osp.dirname(found[0]) if found else ''


def plan(mmcv_version: str, env: Dict[str, str]) -> Dict[str, str]:
    """The build settings of mmcv ``mmcv_version`` (see the module)."""
    torch_version = version_tuple(torch.__version__)
    force = env.get('FORCE_CUDA')
    cuda_home = find_cuda_home()
    archs = env.get('TORCH_CUDA_ARCH_LIST') or ';'.join(visible_archs())
    nvcc = nvcc_version(cuda_home) if cuda_home else None
    torch_cuda = torch.version.cuda
    if force == '0':
        reason = 'FORCE_CUDA=0'
    elif torch_cuda is None:
        reason = f'torch {torch.__version__} is a CPU build'
    elif cuda_home is None:
        reason = 'no CUDA compiler (nvcc) found; set CUDA_HOME'
    elif nvcc.split('.')[0] != torch_cuda.split('.')[0]:
        reason = (f'nvcc {nvcc} (in {cuda_home}) does not match the CUDA '
                  f'{torch_cuda} of torch {torch.__version__}')
    elif not archs:
        reason = ('no GPU visible and TORCH_CUDA_ARCH_LIST unset (on a '
                  "login node, set e.g. TORCH_CUDA_ARCH_LIST='8.0;9.0' for "
                  'the GPU nodes)')
    else:
        reason = ''
    if reason and force == '1':
        raise SystemExit(f'FORCE_CUDA=1 but no CUDA build of mmcv: {reason}')
    ops = 'cpu' if reason else 'cuda'
    tag = 'cpu' if reason else 'cuda{}-{}'.format(
        nvcc, '+'.join('sm' + a.replace('.', '').replace('+PTX', 'ptx')
                       for a in re.split(r'[;\s]+', archs.strip())))
    py = 'py%d%d' % sys.version_info[:2]
    torch_tag = torch.__version__.replace('+', '_')
    newest = PREBUILT_TORCH.get(mmcv_version)
    prebuilt = ''
    if newest and torch_version[:2] <= newest:
        prebuilt = PREBUILT_INDEX.format(
            cuda='cpu' if torch_cuda is None else
            'cu' + torch_cuda.replace('.', ''),
            torch='%d.%d.0' % torch_version[:2])
    return dict(
        MMCV_OPS=ops,
        MMCV_KEY=f'mmcv-{mmcv_version}_torch-{torch_tag}_{py}_{tag}',
        MMCV_CUDA_HOME='' if reason else cuda_home,
        MMCV_ARCHS='' if reason else archs,
        MMCV_CPATH='' if reason else cuda_headers(cuda_home),
        MMCV_CXX_STD='c++20' if torch_version[:2] >= (2, 10) else 'c++17',
        MMCV_PREBUILT_URL=prebuilt,
        MMCV_REASON=reason or f'nvcc {nvcc}, GPU architectures {archs}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('mmcv_version', help='e.g. 2.1.0')
    args = parser.parse_args()
    for name, value in plan(args.mmcv_version, dict(os.environ)).items():
        print(f'{name}={shlex.quote(value)}')


if __name__ == '__main__':
    main()
