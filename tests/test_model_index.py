# Copyright (c) mmdetco contributors. All rights reserved.
"""model-index.yml (what mim reads) imports metafiles that exist and parse,
every model and collection they describe points at existing files, and a
model reports results and run resources only with the weights of the run."""
import os.path as osp

import pytest
import yaml

from .conftest import ROOT


def _load(path):
    with open(osp.join(ROOT, path)) as f:
        return yaml.safe_load(f)


IMPORTS = _load('model-index.yml')['Import']


def test_model_index_imports_the_detco_metafile():
    assert IMPORTS == ['configs/detco/metafile.yml']


@pytest.mark.parametrize('metafile', IMPORTS)
def test_metafile_points_at_existing_files(metafile):
    assert osp.isfile(osp.join(ROOT, metafile)), metafile
    meta = _load(metafile)
    collections = {c['Name']: c for c in meta['Collections']}
    for collection in collections.values():
        readme = osp.join(ROOT, collection['README'])
        assert osp.isfile(readme), f'{metafile}: {collection["README"]}'
    assert meta['Models'], f'{metafile} lists no models'
    names = [model['Name'] for model in meta['Models']]
    assert len(names) == len(set(names)), f'{metafile}: duplicate names'
    for model in meta['Models']:
        config = model['Config']
        assert osp.isfile(osp.join(ROOT, config)), f'{metafile}: {config}'
        # mim finds a model by name: the config is named after it
        assert osp.basename(config) == model['Name'] + '.py', config
        assert model['In Collection'] in collections, model['Name']


@pytest.mark.parametrize('metafile', IMPORTS)
def test_results_and_resources_come_with_weights(metafile):
    """`Results` and `Training Resources` describe a trained checkpoint: a
    model without `Weights` has neither (nor has its collection)."""
    meta = _load(metafile)
    collections = {c['Name']: c for c in meta['Collections']}
    for model in meta['Models']:
        if model.get('Weights'):
            continue
        collection = collections[model['In Collection']]
        assert model.get('Results') is None, model['Name']
        for where in (model, collection):
            resources = (where.get('Metadata') or {}).get('Training Resources')
            assert resources is None, f'{where["Name"]}: {resources}'
