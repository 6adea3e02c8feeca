# Copyright (c) mmdetco contributors. All rights reserved.
"""Bytes each process receives for shuffle BN: mmdetco's ``shuffle_batch``
/ ``unshuffle_batch`` against MMPretrain's ``batch_shuffle_ddp`` /
``batch_unshuffle_ddp`` (MMSelfSup's in its environment), in one run.

``--world-size`` gloo processes on this machine each run ``--steps`` key
encoder steps of a DetCo without ``symmetric`` with both: shuffle one
global view (``--batch-size`` images of ``--image-size`` pixels) and one
patch set (``--num-patches`` patches of ``--patch-size`` pixels a sample),
unshuffle ``--levels`` global and ``--levels`` local keys of ``--feat-dim``,
all fp32, with the same random permutations. The defaults are the paper's
shapes per GPU (32 images of 224 pixels, 9 patches of 64 pixels: 33 MB a
process). Bytes received are counted from the tensors passed to
``torch.distributed``'s collectives, not timed: what the other processes
write into this process's output tensors (its own part of an all-gather
excluded). The last line is one JSON object: per rank, the bytes received a
step by each (``mmdetco``, ``mmpretrain``) and ``ratio``, mmdetco's over
MMPretrain's (about 1 / world size); ``identical`` says whether the two gave
the same tensors::

    python tools/analysis_tools/benchmark_shuffle_bn.py --world-size 3
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

#: collectives the counted functions may not call (their bytes would be
#: missed)
UNCOUNTED = ('all_gather_into_tensor', 'all_reduce', 'all_to_all', 'gather',
             'scatter', 'reduce_scatter_tensor', 'all_gather_object',
             'broadcast_object_list')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--world-size', type=int, default=2)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument('--num-patches', type=int, default=9)
    parser.add_argument('--patch-size', type=int, default=64)
    parser.add_argument('--levels', type=int, default=4)
    parser.add_argument('--feat-dim', type=int, default=128)
    return parser.parse_args(argv)


def _nbytes(tensor: torch.Tensor) -> int:
    return tensor.numel() * tensor.element_size()


@contextlib.contextmanager
def count_received_bytes(counter: dict):
    """Add to ``counter['bytes']`` the bytes that ``all_gather``,
    ``broadcast`` and ``all_to_all_single`` of ``torch.distributed`` receive
    from the other processes while in the context; any other collective
    fails."""
    rank, world_size = dist.get_rank(), dist.get_world_size()
    originals = {
        name: getattr(dist, name)
        for name in ('all_gather', 'broadcast', 'all_to_all_single',
                     *UNCOUNTED)
    }

    def all_gather(tensor_list, tensor, *args, **kwargs):
        counter['bytes'] += sum(map(_nbytes, tensor_list)) - _nbytes(tensor)
        return originals['all_gather'](tensor_list, tensor, *args, **kwargs)

    def broadcast(tensor, src, *args, **kwargs):
        if rank != src:
            counter['bytes'] += _nbytes(tensor)
        return originals['broadcast'](tensor, src, *args, **kwargs)

    def all_to_all_single(output,
                          input,
                          output_split_sizes=None,
                          *args,
                          **kwargs):
        rows = output.shape[0]
        own = output_split_sizes[rank] if output_split_sizes \
            else rows // world_size
        if rows:
            counter['bytes'] += (rows - own) * _nbytes(output) // rows
        return originals['all_to_all_single'](output, input,
                                              output_split_sizes, *args,
                                              **kwargs)

    def uncounted(name):

        def fail(*args, **kwargs):
            raise RuntimeError(f'count_received_bytes: torch.distributed.'
                               f'{name} is not counted.')

        return fail

    patched = dict(
        all_gather=all_gather,
        broadcast=broadcast,
        all_to_all_single=all_to_all_single,
        **{name: uncounted(name)
           for name in UNCOUNTED})
    for name, function in patched.items():
        setattr(dist, name, function)
    try:
        yield counter
    finally:
        for name, function in originals.items():
            setattr(dist, name, function)


def key_encoder_step(shuffle, unshuffle, images, patches, args):
    """Shuffle ``images`` and ``patches``, stand-in keys for the shuffled
    samples (a function of them), unshuffled."""
    outputs = []
    for batch in (images, patches):
        shuffled, index = shuffle(batch)
        keys = shuffled.flatten(1)[:, :args.feat_dim]
        # mmdetco's plan holds MMPretrain's index
        outputs += [shuffled, getattr(index, 'idx_unshuffle', index)]
        outputs += [
            unshuffle(keys + level, index) for level in range(args.levels)
        ]
    return outputs


def _worker(rank, args, folder):
    from mmdetco.compat import batch_shuffle_ddp, batch_unshuffle_ddp
    from mmdetco.models.utils import shuffle_batch, unshuffle_batch
    dist.init_process_group(
        'gloo',
        init_method=f'file://{osp.join(folder, "rendezvous")}',
        rank=rank,
        world_size=args.world_size)
    functions = dict(
        mmdetco=(shuffle_batch, unshuffle_batch),
        mmpretrain=(batch_shuffle_ddp, batch_unshuffle_ddp))
    received = {name: dict(bytes=0) for name in functions}
    identical = True
    for step in range(args.steps):
        torch.manual_seed(1000 * step + rank)  # each process's own data
        n = args.batch_size
        images = torch.randn(n, 3, args.image_size, args.image_size)
        patches = torch.randn(n, args.num_patches, 3, args.patch_size,
                              args.patch_size)
        outputs = {}
        for name, (shuffle, unshuffle) in functions.items():
            torch.manual_seed(step)  # the same permutations
            with count_received_bytes(received[name]):
                outputs[name] = key_encoder_step(shuffle, unshuffle, images,
                                                 patches, args)
        identical &= all(torch.equal(a, b) for a, b in zip(*outputs.values()))
    result = {name: c['bytes'] // args.steps for name, c in received.items()}
    result.update(
        ratio=round(result['mmdetco'] / result['mmpretrain'], 4),
        identical=identical)
    with open(osp.join(folder, f'{rank}.json'), 'w') as f:
        json.dump(result, f)
    dist.barrier()
    # torch 2.1's gloo can deadlock destroying its process group
    os._exit(0)


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(
            _worker, args=(args, folder), nprocs=args.world_size, join=True)
        ranks = []
        for rank in range(args.world_size):
            with open(osp.join(folder, f'{rank}.json')) as f:
                ranks.append(json.load(f))
    result = dict(
        world_size=args.world_size,
        per_step_input_bytes=4 * args.batch_size * 3 *
        (args.image_size**2 + args.num_patches * args.patch_size**2),
        ranks=ranks)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
