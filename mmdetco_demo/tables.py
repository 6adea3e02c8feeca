# Copyright (c) mmdetco contributors. All rights reserved.
"""The Markdown + JSON tables of the small-scale comparisons."""
import json
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence


def format_table(results: Dict[str, List[dict]],
                 metrics: Sequence[str],
                 first_column: str,
                 digits: Optional[Dict[str, int]] = None) -> str:
    """A Markdown table: one row per entry, mean +- sample std per metric
    (the value alone for a single run).

    Args:
        results (dict): Row name -> the results of its runs (one dict per
            seed, metric -> value).
        metrics (Sequence[str]): The columns. A metric that a row's runs do
            not have is shown as ``–``.
        first_column (str): The header of the row names.
        digits (dict, optional): Decimals per metric; 1 for those not
            named. Defaults to None.

    Returns:
        str: The table.
    """
    lines = [
        f'| {first_column} | ' + ' | '.join(metrics) + ' |',
        '| --- |' + ' --- |' * len(metrics)
    ]
    for name, runs in results.items():
        cells = []
        for metric in metrics:
            values = [run[metric] for run in runs if metric in run]
            if not values:
                cells.append('–')
                continue
            n = (digits or {}).get(metric, 1)
            cell = f'{statistics.mean(values):.{n}f}'
            if len(values) > 1:
                cell += f' ± {statistics.stdev(values):.{n}f}'
            cells.append(cell)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def save_table(work_dir: str, name: str, table: str, data: dict) -> None:
    """Print ``table`` and write it to ``WORK_DIR/NAME.md``, and ``data``
    to ``WORK_DIR/NAME.json``."""
    print(table)
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, f'{name}.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(work_dir, f'{name}.json'), 'w') as f:
        json.dump(data, f, indent=2)
