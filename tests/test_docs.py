# Copyright (c) mmdetco contributors. All rights reserved.
"""The docs agree with the tree: every relative link and heading anchor,
every repository path, every ``make`` target and every ``tools/`` command
named in README.md, docs/**/*.md and configs/**/README.md exists, and the
commands' arguments are accepted by the scripts' own parsers (run in a
child process: ``python -m tests.test_docs`` reads commands as JSON). A
command that gives a config file and ``--cfg-options`` builds that config
with the overrides (and ``--gpu-aug``, its ``*_gpuaug.py`` variant), each
key naming an item that is in the config or a parameter of the object its
dict builds; an override given in the prose must parse to what it means.

Needs no Sphinx; ``make docs`` builds the site.
"""
import argparse
import glob
import itertools
import json
import os.path as osp
import re
import runpy
import shlex
import subprocess
import sys
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest

from .conftest import ROOT

DOCS_EN = osp.join(ROOT, 'docs', 'en')
# top-level folders whose paths the docs name
REPO_DIRS = ('configs', 'tools', 'mmdetco', 'tests', 'docs', 'requirements')
# a repository path: a known folder, then names, `{a,b}` alternatives and
# `*` globs; a `::test_name` pytest node id may follow
PATH_RE = re.compile(r'(?<![\w./$~:{-])((?:%s)/(?:[\w.*@+-]|/|\{[^}\s]*\})*)'
                     r'(?:::(\w+))?' % '|'.join(REPO_DIRS))
LINK_RE = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
FENCE_RE = re.compile(r'^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$',
                      re.M | re.S)
INLINE_RE = re.compile(r'`([^`]+)`')
HEADING_RE = re.compile(r'^(#{1,6})\s+(.+?)\s*#*\s*$', re.M)
TOOL_RE = re.compile(r'^tools/[\w/.-]+\.(?:py|sh)$')
ASSIGN_RE = re.compile(r'^([A-Za-z_]\w*)=(.*)$')
VAR_RE = re.compile(r'\$\{?([A-Za-z_]\w*)\}?')
MAKE_RE = re.compile(r'\bmake\s+([\w-]+)')
# a config override: `key.path=value`
OVERRIDE_RE = re.compile(r'^[A-Za-z_]\w*(?:\.\w+)+=')
OTHERS_RE = re.compile(
    r"(?:MMDetection|MMSelfSup|MMPretrain|mmdet|detectron2)'s\s+(?:own\s+)?$")


class Command(NamedTuple):
    """A ``tools/`` script named in a doc, with its arguments. ``run``: a
    command line of a code block, parsed whole; otherwise a mention in the
    prose (`tools/train.py --gpu-aug`), whose options are looked up only."""
    where: str
    script: str
    args: Tuple[str, ...]
    run: bool


def doc_files() -> List[str]:
    files = [osp.join(ROOT, 'README.md')]
    files += glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True)
    files += glob.glob(
        osp.join(ROOT, 'configs', '**', 'README.md'), recursive=True)
    return sorted(f for f in files if '_build' not in f.split(osp.sep))


def split_code(text: str) -> Tuple[str, List[str], List[str]]:
    """Prose without code, the fenced blocks and the inline code spans
    (but those that name another project's file: "MMDetection's
    `tools/test.py`")."""
    blocks = [m.group(2) for m in FENCE_RE.finditer(text)]
    prose = FENCE_RE.sub('', text)
    spans = [
        m.group(1) for m in INLINE_RE.finditer(prose)
        if not OTHERS_RE.search(prose[max(0, m.start() - 40):m.start()])
    ]
    return INLINE_RE.sub('', prose), blocks, spans


def slug(heading: str) -> str:
    """The anchor GitHub (and myst's ``myst_heading_anchors``) gives a
    heading."""
    text = re.sub(r'`([^`]*)`', r'\1', heading)
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)
    text = re.sub(r'[^\w\- ]', '', text.strip().lower())
    return text.replace(' ', '-')


def anchors(text: str) -> set:
    found, counts = set(), {}
    for m in HEADING_RE.finditer(FENCE_RE.sub('', text)):
        base = slug(m.group(2))
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else f'{base}-{n}')
    return found


def expand(path: str) -> List[str]:
    """``a{b,c}d`` -> ``abd``, ``acd`` (any number of groups)."""
    parts = re.split(r'\{([^}]*)\}', path)
    choices = [[p] if i % 2 == 0 else p.split(',')
               for i, p in enumerate(parts)]
    return [''.join(c) for c in itertools.product(*choices)]


def path_problem(path: str, node: Optional[str] = None) -> Optional[str]:
    """Why a repository path named in a doc does not exist, or None."""
    path = path.rstrip('.,:')
    for one in expand(path):
        full = osp.join(ROOT, one)
        if not glob.glob(full) and not osp.exists(full):
            return f'no such path: {one}'
        if node and one.endswith('.py'):
            with open(full) as f:
                if not re.search(rf'^\s*def {node}\(', f.read(), re.M):
                    return f'no test {node} in {one}'
    return None


def check_links(text: str, md: str) -> List[str]:
    """Relative links and images exist; anchors name a heading."""
    problems = []
    prose = split_code(text)[0]
    for target in LINK_RE.findall(prose):
        if re.match(r'^[a-z][\w+.-]*:', target):  # https:, mailto:
            continue
        file, _, anchor = target.partition('#')
        if not file:
            if anchor not in anchors(text):
                problems.append(f'no heading for the anchor: {target}')
            continue
        full = osp.normpath(osp.join(osp.dirname(md), file))
        if not osp.exists(full):
            problems.append(f'broken link: {target}')
            continue
        if md.startswith(DOCS_EN + osp.sep) and not full.startswith(DOCS_EN):
            problems.append(f'link out of docs/en (the docs site has no such '
                            f'page; name the file as code): {target}')
        if anchor and full.endswith('.md'):
            with open(full) as f:
                if anchor not in anchors(f.read()):
                    problems.append(f'no heading for the anchor: {target}')
    return problems


def substitute(code: str) -> str:
    """Shell variables set in a code block, substituted where used later."""
    values, lines = {}, []
    for line in code.split('\n'):
        line = VAR_RE.sub(lambda m: values.get(m.group(1), m.group(0)), line)
        for part in line.split(';'):
            m = ASSIGN_RE.match(part.strip())
            if m and ' ' not in m.group(2) and '$(' not in m.group(2):
                values[m.group(1)] = m.group(2)
        lines.append(line)
    return '\n'.join(lines)


def check_paths(text: str, md: str) -> List[str]:
    """Repository paths in code exist; configs/ READMEs also name their
    configs relative to their folder."""
    problems = []
    _, blocks, spans = split_code(text)
    for code in [substitute(b) for b in blocks] + spans:
        for m in PATH_RE.finditer(code):
            if '...' in m.group(1) or '<' in code[m.end():m.end() + 1]:
                continue
            problem = path_problem(m.group(1), m.group(2))
            if problem:
                problems.append(problem)
    if md.startswith(osp.join(ROOT, 'configs') + osp.sep):
        here = osp.relpath(osp.dirname(md), ROOT)
        for span in spans:
            if (re.match(r'^[\w./{},*-]+\.py$', span) and '...' not in span
                    and not PATH_RE.match(span)):
                problem = path_problem(osp.normpath(osp.join(here, span)))
                if problem:
                    problems.append(problem)
    return problems


def check_make_targets(text: str) -> List[str]:
    with open(osp.join(ROOT, 'Makefile')) as f:
        targets = set(re.findall(r'^([\w-]+):', f.read(), re.M))
    _, blocks, spans = split_code(text)
    return [
        f'no make target: {t}' for code in blocks + spans
        for t in MAKE_RE.findall(code) if t not in targets
    ]


def find_commands(text: str, where: str) -> List[Command]:
    """Every ``tools/`` script run in a code block or inline code span."""
    _, blocks, spans = split_code(text)
    commands = []
    for code, run in [(substitute(b), True) for b in blocks] + [
            (s.replace('\n', ' '), False) for s in spans]:
        code = re.sub(r'\\\n', ' ', code)
        for line in code.split('\n'):
            try:
                lexer = shlex.shlex(line, posix=True, punctuation_chars=';&|')
                lexer.whitespace_split = True
                lexer.commenters = '#'
                tokens = list(lexer)
            except ValueError:  # an unbalanced quote: not a command line
                continue
            segment = []
            for token in tokens + [';']:
                if token.strip(';&|'):
                    segment.append(token)
                    continue
                tools = [i for i, t in enumerate(segment) if TOOL_RE.match(t)]
                if tools:
                    args = [
                        t.strip('[]') for t in segment[tools[0] + 1:]
                        if t.strip('[]') not in ('', '...')
                    ]
                    commands.append(
                        Command(where, segment[tools[0]], tuple(args), run))
                segment = []
    return commands


def shell_usage(script: str) -> Tuple[int, int, Optional[int], str]:
    """Positional arguments of a shell script: (required, most, index
    from which the rest is forwarded or None, the Python script it is
    forwarded to)."""
    with open(osp.join(ROOT, script)) as f:
        body = ''.join(line for line in f if not line.lstrip().startswith('#'))
    forward = re.search(r'\$\{@:(\d+)\}', body)
    refs = {int(k) for k in re.findall(r'\$\{?([1-9])', body)}
    optional = {int(k) for k in re.findall(r'\$\{(\d):-', body)}
    target = ''
    m = re.search(r'(?:\$ROOT/|"\$\(dirname "\$0"\)/)([\w/.-]+\.py)', body)
    if m:
        base = '' if '$ROOT' in m.group(0) else osp.dirname(script)
        target = osp.join(base, m.group(1))
    m = re.search(r'^benchmark_args (dist|slurm) ', body, re.M)
    if m:  # tools/benchmarks/launch.sh: [PARTITION] CFG PRETRAIN [GPUS] [args]
        required = 2 if m.group(1) == 'dist' else 3
        return required, required + 1, required + 2, target
    most = max(refs, default=0)
    return len(refs - optional), most, int(forward.group(1)) if forward \
        else None, target


def check_shell_commands(commands: List[Command]) -> Tuple[List[str], list]:
    """Shell scripts: exist, get their positional arguments; what they
    forward is returned to be parsed by the Python script they run."""
    problems, forwarded = [], []
    for cmd in commands:
        if not osp.isfile(osp.join(ROOT, cmd.script)):
            problems.append(f'{cmd.where}: no such script: {cmd.script}')
            continue
        if not cmd.script.endswith('.sh'):
            forwarded.append((cmd, cmd.script, list(cmd.args), cmd.run, 0))
            continue
        if not cmd.run:
            continue
        required, most, forward, target = shell_usage(cmd.script)
        npos = len(cmd.args) if forward is None else forward - 1
        given = list(cmd.args[:npos])
        if len(given) < required or any(a.startswith('-') for a in given):
            problems.append(f'{cmd.where}: {cmd.script} takes {npos} '
                            f'positional arguments, got {" ".join(cmd.args)}')
        elif forward is None and len(cmd.args) > most:
            problems.append(f'{cmd.where}: {cmd.script} takes at most {most} '
                            f'arguments, got {" ".join(cmd.args)}')
        elif forward is not None and cmd.args[npos:]:
            forwarded.append((cmd, target, list(cmd.args[npos:]), True, 1))
    return problems, forwarded


def given_config(cmd: Command) -> Optional[str]:
    """The config file a shell script's positional arguments name."""
    if not cmd.script.endswith('.sh'):
        return None
    return next((a for a in cmd.args if a.endswith('.py')), None)


def check_commands(commands: List[Command]) -> List[str]:
    problems, to_parse = check_shell_commands(commands)
    if not to_parse:
        return problems
    request = [
        dict(script=s, args=a, run=r, fill=f, config=given_config(c))
        for c, s, a, r, f in to_parse
    ]
    child = subprocess.run([sys.executable, '-m', 'tests.test_docs'],
                           input=json.dumps(request),
                           capture_output=True,
                           text=True,
                           cwd=ROOT)
    assert child.returncode == 0, child.stderr[-3000:]
    errors = json.loads(child.stdout.strip().split('\n')[-1])
    for (cmd, *_), error in zip(to_parse, errors):
        if error:
            problems.append(f'{cmd.where}: {cmd.script} '
                            f'{" ".join(cmd.args)}: {error}')
    return problems


class _Captured(Exception):

    def __init__(self, parser):
        self.parser = parser


def script_parser(script: str) -> argparse.ArgumentParser:
    """The parser a script builds, caught when it parses its arguments."""

    def capture(self, *args, **kwargs):
        raise _Captured(self)

    argparse.ArgumentParser.parse_args = capture
    argparse.ArgumentParser.parse_known_args = capture
    try:
        sys.argv = [script]
        runpy.run_path(osp.join(ROOT, script), run_name='__main__')
    except _Captured as captured:
        return captured.parser
    finally:
        argparse.ArgumentParser.parse_args = _PARSE_ARGS
        argparse.ArgumentParser.parse_known_args = _PARSE_KNOWN_ARGS
    raise RuntimeError(f'{script} parsed no arguments')


_PARSE_ARGS = argparse.ArgumentParser.parse_args
_PARSE_KNOWN_ARGS = argparse.ArgumentParser.parse_known_args


def parse_error(parser: argparse.ArgumentParser,
                args: List[str],
                run: bool,
                fill: int,
                config: Optional[str] = None) -> Optional[str]:
    """What the parser says of the arguments (None: accepted). ``run``:
    parse them whole, else only look their options up; ``fill``: they
    follow the positional arguments a shell script passed, ``config``
    among them."""
    if not run:
        unknown = [
            a for a in args if a.startswith('-')
            and a.split('=')[0] not in parser._option_string_actions
        ]
        return f'unrecognized arguments: {" ".join(unknown)}' if unknown \
            else None

    def error(message):
        raise ValueError(message)

    parser.error = error
    positional = [a for a in parser._actions if not a.option_strings]
    args = ['X'] * (len(positional) if fill else 0) + args
    try:
        parsed = parser.parse_args(args)
    except ValueError as e:
        return str(e)
    except SystemExit as e:  # --help
        return None if e.code == 0 else f'exit {e.code}'
    unread = [
        key for key in getattr(parsed, 'cfg_options', None) or {}
        if key.split('.')[0] not in run_keys()
    ]
    if unread:
        return (f'--cfg-options {" ".join(unread)} changes nothing: the run '
                'reads no such config key (a variable of the config file is '
                'substituted when the file is read)')
    if not fill:
        config = getattr(parsed, 'config', None)
    return config_problem(config, getattr(parsed, 'cfg_options', None),
                          getattr(parsed, 'gpu_aug', False))


def value_problem(key: str, value) -> Optional[str]:
    """A value that ``DictAction`` leaves a string but that reads as
    Python: a dict or a call, which ``--cfg-options`` cannot give."""
    if isinstance(value, str) and re.search(r'[(){}\[\]=]', value):
        return (f'{key}={value}: --cfg-options reads it as a string, not as '
                'Python (it parses numbers, True/False/None, strings, lists '
                'and tuples); set the keys of a dict one by one')
    return None


def config_problem(config: Optional[str], options: Optional[dict],
                   gpu_aug: bool) -> Optional[str]:
    """Why the config file a command names does not build with its
    ``--cfg-options`` (and ``--gpu-aug``), or None. A placeholder
    (`CONFIG`) is not checked."""
    if not options and not gpu_aug or not config \
            or not osp.isfile(osp.join(ROOT, config)):
        return None
    from mmengine.config import Config

    from mmdetco.utils import gpu_aug_config
    if gpu_aug:
        try:
            config = gpu_aug_config(config)
        except FileNotFoundError as e:
            return str(e).split('\n')[0]
    cfg = Config.fromfile(osp.join(ROOT, config))
    options = options or {}
    problems = [
        p for key, value in options.items()
        for p in (value_problem(key, value), key_problem(cfg, key)) if p
    ]
    if problems:
        return f'{config}: ' + '; '.join(problems)
    cfg.merge_from_dict(options)
    return None


# keys of a dict that its builder reads, not the built class
BUILDER_KEYS = {'optim_wrapper': {'constructor', 'paramwise_cfg'}}


def key_problem(cfg, key: str) -> Optional[str]:
    """Why an override key names nothing the config has: a list item out
    of range, a key under a value that is neither a dict nor a list, or a
    key new to a dict that is not a parameter of the class its ``type``
    names (a dict without ``type``, or a class taking ``**kwargs``, may
    get any new key)."""
    node, parts = cfg.to_dict(), key.split('.')
    for i, part in enumerate(parts):
        where = '.'.join(parts[:i])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                items = ', '.join(
                    str(x.get('type', '?')) if isinstance(x, dict) else repr(x)
                    for x in node)
                return (f'{key}: {where} is a list of {len(node)} '
                        f'({items}), it has no item {part}')
            node = node[int(part)]
        elif isinstance(node, dict):
            if part in node:
                node = node[part]
                continue
            if not where:
                return None  # top level: checked against the run's keys
            fields = init_fields(node.get('type'))
            if fields is None:
                return None
            fields |= BUILDER_KEYS.get(where, set())
            if part not in fields:
                return (f'{key}: {where} builds {node["type"]}, which takes '
                        f'no {part}')
            return None
        else:
            return f'{key}: {where} is {node!r:.40}, it has no {part}'
    return None


def init_fields(type_name) -> Optional[set]:
    """The parameters of a registered class (None: unknown, or any)."""
    import inspect

    import mmpretrain.registry
    from mmengine.registry import Registry
    if not isinstance(type_name, str):
        return None
    for registry in vars(mmpretrain.registry).values():
        if isinstance(registry, Registry):
            cls = registry.get(type_name)
            if cls is not None:
                break
    else:
        return None
    params = inspect.signature(cls).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def run_keys() -> set:
    """The top-level config keys a run reads: those of mmengine's
    ``Runner`` and ``runner_type`` (``RUNNERS.build``)."""
    import inspect

    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) | {
        'runner_type'
    }


def parse_requests(requests: List[dict]) -> List[Optional[str]]:
    parsers: Dict[str, argparse.ArgumentParser] = {}
    errors = []
    for r in requests:
        if r['script'] not in parsers:
            parsers[r['script']] = script_parser(r['script'])
        errors.append(
            parse_error(parsers[r['script']], r['args'], r['run'], r['fill'],
                        r['config']))
    return errors


def check_prose_overrides(text: str) -> List[str]:
    """Overrides named in the prose (`key.path=value`) parse, as
    ``--cfg-options`` parses them, to what they mean."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    problems = []
    for span in split_code(text)[2]:
        try:
            tokens = shlex.split(span.replace('\n', ' '))
        except ValueError:  # an unbalanced quote: not a command line
            continue
        for token in filter(OVERRIDE_RE.match, tokens):
            try:
                options = parser.parse_args(['--o', token]).o
            except AssertionError:  # unbalanced brackets: Python prose
                continue
            problems += filter(None, (value_problem(key, value)
                                      for key, value in options.items()))
    return problems


def check_text(text: str, md: str) -> List[str]:
    """Every check but the commands' parsers, for one page."""
    return (check_links(text, md) + check_paths(text, md) +
            check_make_targets(text) + check_prose_overrides(text))


def toctree_entries(text: str) -> List[str]:
    entries = []
    for block in re.findall(r'^```\{toctree\}\n(.*?)^```', text, re.M | re.S):
        entries += [
            line.strip() for line in block.split('\n')
            if line.strip() and not line.startswith(':')
        ]
    return entries


# -- the tests --------------------------------------------------------------


def _read(path):
    with open(path) as f:
        return f.read()


def test_links_paths_and_make_targets():
    problems = [
        f'{osp.relpath(md, ROOT)}: {p}' for md in doc_files()
        for p in check_text(_read(md), md)
    ]
    assert not problems, '\n'.join(problems)


@pytest.mark.slow
def test_tools_commands_exist_and_parse():
    commands = [
        c for md in doc_files()
        for c in find_commands(_read(md), osp.relpath(md, ROOT))
    ]
    # the commands of the pages, seen: a finder that finds nothing passes
    scripts = {c.script for c in commands}
    assert {'tools/train.py', 'tools/dist_train.sh',
            'tools/benchmarks/mmdetection/mim_dist_train_c4.sh'} <= scripts
    problems = check_commands(commands)
    assert not problems, '\n'.join(problems)


def test_toctree_covers_every_page():
    entries = toctree_entries(_read(osp.join(DOCS_EN, 'index.md')))
    pages = sorted(
        osp.relpath(p, DOCS_EN)
        for p in glob.glob(osp.join(DOCS_EN, '**', '*.md'), recursive=True)
        if '_build' not in p)
    assert len(entries) == len(set(entries)), entries
    missing = sorted(set(entries) - set(pages))
    unlisted = sorted(set(pages) - set(entries) - {'index.md'})
    assert not missing, f'toctree entries without a page: {missing}'
    assert not unlisted, f'pages not in the toctree: {unlisted}'


SYNTHETIC = """# A page

## A heading

[ok](algorithm.md) [ok anchor](#a-heading)
[gone](no_such_page.md) [bad anchor](training_health.md#no-such-heading)
[outside](../../setup.cfg)

`configs/detco/detco_resnet50_8xb32-coslr-200e_in1k.py`,
`configs/detco/no_such_config.py`, `tests/test_ablations.py::no_such_test`,
`configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-{1x,3x}_coco.py`,
MMDetection's `tools/test.py`,
`optim_wrapper.paramwise_cfg="dict(custom_keys={'neck': dict(lr_mult=0.1)})"`,
`optim_wrapper.paramwise_cfg.custom_keys.local_mlps.lr_mult=0.111`

```shell
make no-such-target
A=configs/detco/ablations; S=_resnet50_8xb32-coslr-100e_in1k.py
python tools/benchmarks/ablation_sweep.py $A/detco-nothing$S
python tools/train.py CONFIG --no-such-flag
python tools/train.py CONFIG --cfg-options patch_pipeline.5.shuffle=False
G=configs/detco/detco_resnet50_8xb32-coslr-200e_in1k_gpuaug.py
python tools/train.py $G --cfg-options \
    train_dataloader.dataset.pipeline.1.patch_pipeline.5.shuffle=False
python tools/train.py $G --cfg-options \
    train_dataloader.dataset.pipeline.1.patch_pipeline.2.shuffle=False \
    optim_wrapper.paramwise_cfg.custom_keys.local_mlps.lr_mult=0.111 \
    default_hooks.checkpoint.by_epoch=False model.neck.local_init=default
python tools/train.py configs/detco/detco_resnet50_8xb32-coslr-100e_in1k.py \
    --gpu-aug
tools/dist_train.sh configs/detco/detco_resnet50_8xb32-coslr-100e_in1k.py 8 \
    --cfg-options model.neck.no_such_field=1
python tools/train.py $G --cfg-options model.head.temperature.value=1
python tools/train.py $G --cfg-options optim_wrapper.paramwise_cfg="dict()"
tools/dist_train.sh CONFIG
tools/dist_train.sh CONFIG 8 --amp fp8
python tools/no_such_tool.py
```
"""


def assert_reported_once(problems, expected):
    """Each expected problem is reported exactly once, and nothing else."""
    for e in expected:
        assert sum(e in p for p in problems) == 1, (e, problems)
    assert len(problems) == len(expected), problems


@pytest.mark.slow
def test_checker_reports_each_kind_of_mismatch():
    md = osp.join(DOCS_EN, 'synthetic.md')
    problems = check_text(SYNTHETIC, md)
    expected = [
        'broken link: no_such_page.md',
        'no heading for the anchor: training_health.md#no-such-heading',
        'link out of docs/en',
        'no such path: configs/detco/no_such_config.py',
        'no test no_such_test in tests/test_ablations.py',
        'no such path: configs/benchmarks/mmdetection/coco/'
        'mask-rcnn_r50-c4_ms-3x_coco.py',
        'no such path: configs/detco/ablations/detco-nothing_resnet50',
        'no make target: no-such-target',
        'no such path: tools/no_such_tool.py',
        "optim_wrapper.paramwise_cfg=dict(custom_keys={'neck':dict(lr_mult="
        '0.1)}): --cfg-options reads it as a string',
    ]
    assert_reported_once(problems, expected)

    problems = check_commands(find_commands(SYNTHETIC, 'synthetic.md'))
    expected = [
        'unrecognized arguments: --no-such-flag',
        'tools/dist_train.sh takes 2 positional arguments, got CONFIG',
        "invalid choice: 'fp8'",
        '--cfg-options patch_pipeline.5.shuffle changes nothing',
        'train_dataloader.dataset.pipeline.1.patch_pipeline is a list of 3 '
        '(FastRandomResizedCrop, RandomFlip, JigsawPatches), it has no item 5',
        'detco_resnet50_8xb32-coslr-100e_in1k.py has no GPU-augmentation '
        'variant',
        'model.neck builds DetCoNeck, which takes no no_such_field',
        'model.head.temperature is 0.2, it has no value',
        'optim_wrapper.paramwise_cfg=dict(): --cfg-options reads it as a '
        'string',
        'no such script: tools/no_such_tool.py',
    ]
    assert_reported_once(problems, expected)


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    result = parse_requests(json.loads(sys.stdin.read()))
    print('\n' + json.dumps(result))
