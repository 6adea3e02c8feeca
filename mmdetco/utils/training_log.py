# Copyright (c) mmdetco contributors. All rights reserved.
"""The training logs of a run: the names of the logged scalars, and the json
logs mmengine writes (``WORK_DIR/<timestamp>/vis_data/<timestamp>.json``, one
record per line)."""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Mapping, Sequence, Tuple

#: The logged scalars, per loss term (``loss``: the unweighted InfoNCE term,
#: ``acc``: its contrastive top-1) or per kind of embedding (``spread``,
#: ``poscos``: of the ``global`` or ``local`` queries), and level.
SCALAR_KEY = re.compile(
    r'^(?P<scalar>loss|acc|spread|poscos)_(?P<name>[a-z]+)_(?P<level>\w+)$')
#: Where the json logs are, under a work directory or a timestamp directory.
LOG_PATTERNS = ('*/vis_data/*.json', 'vis_data/*.json')
#: Json files in ``vis_data`` that are not the training log.
NOT_LOGS = ('scalars.json', 'config.json')


def scalar_key(scalar: str, name: str, level: str) -> str:
    """The logged name of a scalar, e.g. ``loss_gg_res2`` or
    ``spread_local_res5``.

    Args:
        scalar (str): ``loss``, ``acc``, ``spread`` or ``poscos``.
        name (str): The loss term (``gg``, ``ll``, ``lg``) for ``loss`` and
            ``acc``, the kind (``global``, ``local``) for the others.
        level (str): The level, e.g. ``res2``.
    """
    return f'{scalar}_{name}_{level}'


def scalars(record: Mapping, scalar: str) -> Dict[Tuple[str, str], float]:
    """The values of one scalar in a log record (or a model's outputs).

    Args:
        record (Mapping): Logged names and values.
        scalar (str): ``loss``, ``acc``, ``spread`` or ``poscos``.

    Returns:
        dict: ``{(name, level): value}`` in the record's order.
    """
    found = {}
    for key, value in record.items():
        match = SCALAR_KEY.match(key)
        if match is not None and match['scalar'] == scalar:
            found[(match['name'], match['level'])] = float(value)
    return found


def find_logs(path: str) -> List[str]:
    """The json logs of a run, oldest first (a resumed run continues in a new
    timestamp directory).

    Args:
        path (str): A work directory, one of its timestamp directories, or a
            ``.json`` log (then the only one).

    Returns:
        list[str]: The log files, sorted by path.

    Raises:
        FileNotFoundError: ``path`` does not exist or holds no json log.
    """
    if osp.isfile(path):
        return [path]
    logs = sorted(
        log for pattern in LOG_PATTERNS
        for log in glob.glob(osp.join(glob.escape(path), pattern))
        if osp.basename(log) not in NOT_LOGS)
    if not logs:
        raise FileNotFoundError(
            'no json training log (*/vis_data/<timestamp>.json) found under '
            f'{path!r}.')
    return logs


def find_log(path: str) -> str:
    """The newest of :func:`find_logs`: last modified, then last by path."""
    return max(find_logs(path), key=lambda log: (osp.getmtime(log), log))


def load_records(logs: Sequence[str], keys: Sequence[str]) -> List[dict]:
    """The records of json logs that hold any of ``keys``, in file order.

    Blank and truncated lines (a run stopped while writing) are skipped.

    Args:
        logs (Sequence[str]): The log files, e.g. from :func:`find_logs`.
        keys (Sequence[str]): Logged names, e.g. ``('loss', 'knn/top1')``.

    Returns:
        list[dict]: The records.
    """
    records = []
    for log in logs:
        with open(log, encoding='utf-8') as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and any(k in record for k in keys):
                    records.append(record)
    return records
