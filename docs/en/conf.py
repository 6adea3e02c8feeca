# Sphinx configuration of the mmdetco documentation (`make docs`).
import os.path as osp
import re

_root = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
with open(osp.join(_root, 'mmdetco', 'version.py')) as f:
    release = re.search(r"__version__ = '(.+)'", f.read()).group(1)

project = 'mmdetco'
copyright = 'mmdetco contributors'
author = 'mmdetco contributors'
version = release

extensions = ['myst_parser']
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build']
# links to the headings of other pages (`page.md#a-heading`), as GitHub
# renders them
myst_heading_anchors = 3

html_theme = 'sphinx_rtd_theme'
html_static_path = ['_static']
html_title = f'mmdetco {release}'
