# Copyright (c) mmdetco contributors. All rights reserved.
"""Two nodes rehearsed on one machine: ``tools/dist_train.sh CONFIG 1`` run
twice, with ``NNODES=2``, ``NODE_RANK=0`` and ``1``, ``MASTER_ADDR`` and a
shared ``PORT``, as on two machines (CPU, gloo; the nodes share the work
directory, as nodes of a cluster share a file system). What only two real
machines show: the network between them (the address must be reachable,
the port open on node 0)."""
import subprocess

import pytest
import torch

from mmdetco_demo import generate_demo_data
from ..conftest import ROOT, free_port
from .launch_helpers import (launch_env, rank_dump_config, rank_envs,
                             rank_states, train_options)

BATCH = 4


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """16 pre-training images: 2 iterations of 2 x 4 per epoch."""
    root = str(tmp_path_factory.mktemp('multinode') / 'data')
    generate_demo_data(root, num_pretrain=16, num_train=2, num_val=2, size=96)
    return root


def two_nodes(config, work_dir, data_root, epochs, *args):
    """Run node 0 and node 1 of a 2-node job of 1 process each; their
    outputs."""
    port = str(free_port())
    nodes = [
        subprocess.Popen([
            'bash', 'tools/dist_train.sh', config, '1', '--work-dir',
            str(work_dir), *args, '--cfg-options',
            *train_options(data_root, BATCH, epochs)
        ],
                         cwd=ROOT,
                         env=launch_env(
                             NNODES='2',
                             NODE_RANK=str(rank),
                             MASTER_ADDR='127.0.0.1',
                             PORT=port),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in (0, 1)
    ]
    outputs = [node.communicate(timeout=280)[0] for node in nodes]
    for node, output in zip(nodes, outputs):
        assert node.returncode == 0, output[-5000:]
    return outputs


@pytest.mark.stack
@pytest.mark.slow
def test_two_nodes_train_and_resume(tmp_path, data_root):
    config, work_dir = rank_dump_config(tmp_path), tmp_path / 'work'
    node0, node1 = two_nodes(config, work_dir, data_root, 1)
    # one process a node, ranks 0 and 1 of 2
    assert f'global batch of {2 * BATCH} = {BATCH} x 2 processes' in node0
    envs = rank_envs(work_dir, 2)
    assert [(e['rank'], e['world_size'], e['LOCAL_RANK'])
            for e in envs] == [(0, 2, '0'), (1, 2, '0')]
    first = rank_states(work_dir, 2)
    assert first[0]['queue_ptr'].item() == 2 * 2 * BATCH
    for name in first[0]:
        torch.testing.assert_close(first[0][name], first[1][name], msg=name)

    node0, node1 = two_nodes(config, work_dir, data_root, 2, '--resume')
    assert 'resumed epoch: 1, iter: 2' in node0
    ranks = rank_states(work_dir, 2)
    for name in ranks[0]:
        torch.testing.assert_close(ranks[0][name], ranks[1][name], msg=name)
    # 2 epochs x 2 iterations x 8 keys, in a queue of 32
    assert ranks[0]['queue_ptr'].item() == 0
    assert not torch.equal(ranks[0]['backbone.conv1.weight'],
                           first[0]['backbone.conv1.weight'])
    checkpoint = torch.load(work_dir / 'epoch_2.pth')
    assert checkpoint['meta']['iter'] == 4
