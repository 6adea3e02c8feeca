# Copyright (c) mmdetco contributors. All rights reserved.
"""mmdetco installed from a wheel, away from any checkout: its configs,
tools and model-index.yml come with it (``mmdetco/.mim``), and the demo
application ``mmdetco_demo``, so MIM finds the models and runs its tools
(the demo's too) and ``mim train mmdetco CONFIG`` trains.

The wheel is built from a copy of this checkout (its own files are left
as they are) and installed without dependencies into a new virtual
environment that reads the other packages from this one's
``site-packages`` (a ``.pth`` line: the editable mmdetco of this
environment is not active there)."""
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import venv

import mmengine
import pytest
from mmengine.config import Config

from mmdetco_demo import DETCO_CONFIG, data_root_options
from .conftest import ROOT

#: not copied into the build: environments, outputs, the editable links
IGNORED = ('.git', '.venv*', 'data', 'work_dirs', 'build', 'dist',
           '*.egg-info', '.mim', '_build', '__pycache__')

pytest.importorskip('mim', reason='MIM (openmim) is not installed')

#: the environment of the commands: without a checkout on PYTHONPATH
WHEEL_ENV = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}


def run(cmd, cwd):
    """Run ``cmd`` in ``cwd`` with :data:`WHEEL_ENV`; its output."""
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=WHEEL_ENV,
        capture_output=True,
        text=True,
        timeout=280)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{cmd}:\n{output[-5000:]}'
    return output


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The Python of a new environment holding mmdetco's wheel, and a
    folder outside any checkout to run it in."""
    tmp = tmp_path_factory.mktemp('installed')
    source = tmp / 'source'
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*IGNORED))
    run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-w',
        str(tmp / 'dist'),
        str(source)
    ], tmp)
    (wheel, ) = (tmp / 'dist').glob('mmdetco-*.whl')
    venv.create(tmp / 'venv', with_pip=True)
    python = str(tmp / 'venv' / 'bin' / 'python')
    purelib = run([
        python, '-c', 'import sysconfig; '
        'print(sysconfig.get_paths()["purelib"])'
    ], tmp).strip()
    with open(osp.join(purelib, 'deps.pth'), 'w') as f:
        f.write('\n'.join(site.getsitepackages()) + '\n')
    run([
        python, '-m', 'pip', 'install', '--no-deps', '--no-index',
        str(wheel)
    ], tmp)
    work = tmp / 'work'
    work.mkdir()
    return python, str(work)


@pytest.mark.slow
def test_the_wheel_is_the_package_imported(installed):
    python, work = installed
    path = run([python, '-c', 'import mmdetco; print(mmdetco.__file__)'],
               work).strip()
    assert path.startswith(osp.dirname(osp.dirname(python)))
    assert not path.startswith(ROOT)


@pytest.mark.slow
def test_mim_search_lists_the_models(installed):
    python, work = installed
    output = run([python, '-m', 'mim', 'search', 'mmdetco'], work)
    models = mmengine.load(osp.join(ROOT, 'configs', 'detco',
                                    'metafile.yml'))['Models']
    assert models and all(model['Name'] in output for model in models), output


@pytest.mark.slow
def test_mim_runs_the_tools_and_trains_the_demo_config(installed):
    """``mim run mmdetco generate_demo_data`` (a tool of ``.mim/tools``),
    then ``mim train mmdetco`` on the demo config, found by its name in
    ``.mim/configs``: two iterations and a checkpoint."""
    python, work = installed
    data = osp.join(work, 'data')
    run([
        python, '-m', 'mim', 'run', 'mmdetco', 'generate_demo_data', '--out',
        data, '--num-pretrain', '8', '--num-train', '2', '--num-val', '2',
        '--size', '128'
    ], work)
    config = osp.basename(DETCO_CONFIG)
    output = run([
        python, '-m', 'mim', 'train', 'mmdetco', config, '--gpus', '0',
        '--work-dir', 'run', '--cfg-options',
        *data_root_options(DETCO_CONFIG, data),
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'model.queue_len=16', 'train_cfg.max_epochs=1'
    ], work)
    assert 'loss_lg_res5' in output
    assert osp.isfile(osp.join(work, 'run', 'epoch_1.pth'))
    saved = Config.fromfile(
        next(
            osp.join(root, name)
            for root, _, names in os.walk(osp.join(work, 'run'))
            for name in names if name == 'config.py'))
    assert saved.model.type == 'DetCo'


@pytest.mark.slow
def test_the_demo_tools_run_from_the_wheel(installed):
    """The demo application comes with the wheel: the tools of
    ``.mim/tools`` that ``mim run mmdetco run_demo`` (and the benchmark
    tools on the demo) run import ``mmdetco_demo`` from it."""
    python, work = installed
    path = run(
        [python, '-c', 'import mmdetco_demo; print(mmdetco_demo.__file__)'],
        work).strip()
    assert path.startswith(osp.dirname(osp.dirname(python)))
    for tool in ('run_demo.py', 'benchmarks/demo_table.py',
                 'benchmarks/ablation_sweep.py'):
        script = run([
            python, '-c', 'from mmdetco.utils import package_file; '
            f'print(package_file("tools/{tool}"))'
        ], work).strip()
        assert script.startswith(osp.dirname(osp.dirname(python)))
        output = run([python, script, '--help'], work)
        assert '--work-dir' in output, output
