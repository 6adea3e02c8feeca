# Copyright (c) mmdetco contributors. All rights reserved.
"""Plot the DetCo losses and health scalars of a training log.

The newest mmengine json log under a work directory
(``WORK_DIR/<timestamp>/vis_data/<timestamp>.json``), or a given ``.json``
log, is read; every logged ``loss_{term}_{level}`` (e.g. ``loss_gg_res2``)
goes to the subplot of its level, with one line per term (``gg``, ``ll``,
``lg``), and the total ``loss`` gets a subplot of its own. The scalars of
:class:`DetCoHealthHook` and :class:`KNNMonitorHook`, when logged, follow:
the contrastive top-1 accuracy ``acc_{term}_{level}`` per level, the
embedding ``spread_{kind}_{level}`` and positive cosine
``poscos_{kind}_{level}`` of every branch, and ``knn/top1``. The x axis is
the logged ``step`` (or ``iter``).

Example::

    python tools/analysis_tools/plot_losses.py work_dirs/detco_demo \\
        --output losses.png
    python tools/analysis_tools/plot_losses.py work_dirs/detco_demo \\
        --keys loss loss_lg_res4 loss_lg_res5 lr
"""
import argparse
import math
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # noqa: E402

from mmdetco.utils import SCALAR_KEY, find_log, load_records  # noqa: E402

#: Size of one subplot in inches, and the resolution of the saved figure.
SUBPLOT_INCHES = (4.0, 3.0)
DPI = 100
#: Most subplots per row.
MAX_COLUMNS = 3
TOTAL_KEY = 'loss'
KNN_KEY = 'knn/top1'
#: The grouped scalars (:data:`mmdetco.utils.SCALAR_KEY`): scalar,
#: subplot title and line label (formatted with the key's ``name`` and
#: ``level``), in plotting order.
GROUPS = (
    ('loss', '{level}', '{name}'),
    ('acc', 'top-1 {level}', '{name}'),
    ('spread', 'spread', '{name} {level}'),
    ('poscos', 'positive cosine', '{name} {level}'),
)


def parse_args(args: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        args (Sequence[str], optional): The arguments; ``sys.argv[1:]`` if
            None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Plot the DetCo losses per level from an mmengine json '
        'training log.')
    parser.add_argument(
        'work_dir',
        help='work directory (its newest */vis_data/*.json log is read) or '
        'a .json log')
    parser.add_argument(
        '--output', default='losses.png', help='output PNG (losses.png)')
    parser.add_argument(
        '--keys',
        nargs='+',
        help='logged keys to plot (default: every loss_{term}_{level} and '
        'loss); loss_{term}_{level} keys share the subplot of their level, '
        'any other key gets its own')
    return parser.parse_args(args)


def load_log(log: str) -> List[dict]:
    """The training records of a json log: the lines with a ``loss`` or
    a ``knn/top1``.

    Args:
        log (str): The json log, one JSON object per line.

    Returns:
        List[dict]: The records, in file order.

    Raises:
        ValueError: The log has no line with a ``loss``.
    """
    records = load_records([log], (TOTAL_KEY, KNN_KEY))
    if not any(TOTAL_KEY in record for record in records):
        raise ValueError(f'plot_losses: no {TOTAL_KEY!r} values in {log!r}.')
    return records


def group_keys(
    records: Sequence[dict],
    keys: Optional[Sequence[str]] = None
) -> 'OrderedDict[str, List[Tuple[str, str]]]':
    """Group the keys to plot into subplots.

    Args:
        records (Sequence[dict]): The records from :func:`load_log`.
        keys (Sequence[str], optional): The keys to plot; if None every
            ``loss_{term}_{level}``, ``loss``, and the health and kNN scalars
            that are logged.

    Returns:
        OrderedDict[str, List[Tuple[str, str]]]: Per subplot title its
        ``(key, label)`` lines: the losses of each level in logged order
        (labels the terms), the top-1 accuracies of each level, the spreads,
        the positive cosines, then the other keys.

    Raises:
        KeyError: A key of ``keys`` is never logged.
    """
    logged = list(OrderedDict.fromkeys(k for r in records for k in r))
    if keys is None:
        keys = [
            k for scalar, _, _ in GROUPS
            for k in logged if scalar_of(k) == scalar
        ] + [TOTAL_KEY] + [KNN_KEY] * (
            KNN_KEY in logged)
    missing = [k for k in keys if k not in logged]
    if missing:
        raise KeyError(f'plot_losses: keys {missing} are not logged; '
                       f'logged keys: {logged}.')
    subplots, others = OrderedDict(), OrderedDict()
    for key in keys:
        match = SCALAR_KEY.match(key)
        group = next((g for g in GROUPS if match and g[0] == match['scalar']),
                     None)
        if group is None:
            others[key] = [(key, key)]
            continue
        _, title, label = group
        subplots.setdefault(title.format(**match.groupdict()), []).append(
            (key, label.format(**match.groupdict())))
    subplots.update(others)
    return subplots


def scalar_of(key: str) -> Optional[str]:
    """The scalar (``loss``, ``acc``, ...) a key logs, or None."""
    match = SCALAR_KEY.match(key)
    return match['scalar'] if match else None


def series(records: Sequence[dict], key: str) -> Tuple[list, list]:
    """The ``(x, y)`` values of ``key``; x is ``step``, else ``iter``."""
    xs, ys = [], []
    for index, record in enumerate(records):
        if key in record:
            xs.append(record.get('step', record.get('iter', index)))
            ys.append(record[key])
    return xs, ys


def figure_size(num_subplots: int) -> Tuple[float, float]:
    """The figure size in inches of a grid of ``num_subplots``.

    Args:
        num_subplots (int): Number of subplots.

    Returns:
        Tuple[float, float]: ``(width, height)`` in inches; times
        :data:`DPI` gives the size of the PNG in pixels.
    """
    cols = min(num_subplots, MAX_COLUMNS)
    rows = math.ceil(num_subplots / cols)
    return cols * SUBPLOT_INCHES[0], rows * SUBPLOT_INCHES[1]


def plot_losses(records: Sequence[dict],
                subplots: Dict[str, List[Tuple[str, str]]],
                output: str,
                title: str = '') -> None:
    """Draw the subplots and save the figure as a PNG.

    Args:
        records (Sequence[dict]): The records from :func:`load_log`.
        subplots (Dict[str, List[Tuple[str, str]]]): From
            :func:`group_keys`.
        output (str): The PNG to write.
        title (str): The figure title. Defaults to ''.
    """
    x_name = 'step' if any('step' in r for r in records) else 'iter'
    cols = min(len(subplots), MAX_COLUMNS)
    rows = math.ceil(len(subplots) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=figure_size(len(subplots)), dpi=DPI, squeeze=False)
    for ax, (name, lines) in zip(axes.flat, subplots.items()):
        for key, label in lines:
            xs, ys = series(records, key)
            ax.plot(
                xs,
                ys,
                label=label,
                linewidth=1.2,
                marker='.' if len(xs) < 50 else None)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(x_name, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if len(lines) > 1 or lines[0][1] != name:  # name the terms
            ax.legend(fontsize=8)
    for ax in axes.flat[len(subplots):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97 if title else 1))
    os.makedirs(osp.dirname(osp.abspath(output)), exist_ok=True)
    fig.savefig(output, dpi=DPI)
    plt.close(fig)


def main(args: Optional[Sequence[str]] = None) -> str:
    """Run the tool.

    Args:
        args (Sequence[str], optional): The command line arguments;
            ``sys.argv[1:]`` if None.

    Returns:
        str: The PNG written.

    Raises:
        SystemExit: No log, no loss values or unknown ``--keys``.
    """
    opts = parse_args(args)
    try:
        log = find_log(opts.work_dir)
        records = load_log(log)
        subplots = group_keys(records, opts.keys)
    except KeyError as error:  # str() would quote the message
        sys.exit(f'{error.args[0]} Log: {log!r}.')
    except (OSError, ValueError) as error:
        sys.exit(str(error))
    title = f'{osp.basename(log)}: {len(records)} records'
    plot_losses(records, subplots, opts.output, title=title)
    print(f'Plotted {len(records)} records of {log} to {opts.output}')
    return opts.output


if __name__ == '__main__':
    main()
