# Copyright (c) mmdetco contributors. All rights reserved.
"""Draw the DetCo views of the first images of a config's train set.

Every image gets one row: global view 1, global view 2, and the two jigsaw
patch sets, each as a ``k x k`` mosaic in the order the model gets the
patches (row-major, patch 1 top left). The views are shown as the network
sees them: collated, passed through the config's ``data_preprocessor``
(channel order, mean / std) and de-normalised back to viewable RGB.

Example::

    python tools/visualization/browse_views.py \\
        configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py \\
        --data-root data/demo --num-images 3 --output views.png
"""
import argparse
import math
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import default_collate  # noqa: E402
from mmengine.runner import set_random_seed  # noqa: E402
from mmengine.utils import import_modules_from_strings  # noqa: E402
from mmpretrain.registry import DATASETS, MODELS  # noqa: E402
from mmpretrain.utils import register_all_modules  # noqa: E402

from mmdetco.utils import view_layout  # noqa: E402

#: Side of one panel in inches, and the resolution of the saved figure.
PANEL_INCHES = 2.4
TITLE_INCHES = 0.35
DPI = 100
#: Panels per image row: 2 global views and 2 patch mosaics.
NUM_COLUMNS = 4
#: Width in pixels of the white lines between the patches of a mosaic.
SEPARATOR = 1


def parse_args(args: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        args (Sequence[str], optional): The arguments; ``sys.argv[1:]`` if
            None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Draw the DetCo views (global views and jigsaw patch '
        'sets) of the first images of a train set.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--data-root', help='override train_dataloader.dataset.data_root')
    parser.add_argument(
        '--num-images',
        type=int,
        default=3,
        help='number of images, one row each (3)')
    parser.add_argument(
        '--output', default='views.png', help='output PNG (views.png)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (0)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings of the config, as xxx=yyy pairs')
    opts = parser.parse_args(args)
    if opts.num_images < 1:
        parser.error(f'--num-images must be positive, got {opts.num_images}')
    return opts


def figure_size(num_images: int) -> Tuple[float, float]:
    """The figure size in inches for ``num_images`` rows.

    Args:
        num_images (int): Number of image rows.

    Returns:
        Tuple[float, float]: ``(width, height)`` in inches; times
        :data:`DPI` gives the size of the PNG in pixels.
    """
    return (NUM_COLUMNS * PANEL_INCHES,
            num_images * (PANEL_INCHES + TITLE_INCHES))


def load_config(config: str,
                data_root: Optional[str] = None,
                cfg_options: Optional[dict] = None) -> Config:
    """Load a config, apply the overrides and import its custom modules.

    Args:
        config (str): The config file.
        data_root (str, optional): A new ``data_root`` of the train set.
        cfg_options (dict, optional): Overrides, as with ``--cfg-options``.

    Returns:
        Config: The config.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        cfg.train_dataloader.dataset.data_root = data_root
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    register_all_modules(init_default_scope=True)
    return cfg


def split_views(views: Sequence) -> Tuple[list, list, list, int]:
    """:func:`mmdetco.utils.split_views` of views whose patch sets are
    ``k x k`` grids, with ``k``.

    Args:
        views (Sequence): The views of one image (or batch): global view 1,
            global view 2, the patches of set 1, the patches of set 2.

    Returns:
        Tuple[list, list, list, int]: The 2 global views, the patches of
        set 1, those of set 2, and the grid side ``k``.

    Raises:
        ValueError: The number of views is not ``2 + 2 * k * k``.
    """
    grid = math.isqrt(max(view_layout.patches_per_set(views), 0))
    if grid < 1 or len(views) != 2 + 2 * grid * grid:
        raise ValueError(
            f'browse_views: expected 2 global views and 2 sets of k x k '
            f'patches (2 + 2 * k * k views), got {len(views)} views.')
    global_views, (set1, set2) = view_layout.split_views(
        list(views), grid * grid, owner='browse_views')
    return global_views, set1, set2, grid


def collect_views(cfg: Config,
                  num_images: int,
                  seed: int = 0) -> Tuple[List[List[np.ndarray]], list]:
    """The views of the first images of the train set, as the model sees
    them, de-normalised to viewable RGB.

    Args:
        cfg (Config): A config loaded by :func:`load_config`.
        num_images (int): Number of images to take.
        seed (int): The random seed of the augmentation. Defaults to 0.

    Returns:
        Tuple[List[List[np.ndarray]], list]: For every image its views as
        ``(H, W, 3)`` uint8 RGB arrays in input order, and the image paths.

    Raises:
        ValueError: ``num_images`` is not positive or the train set is
            empty.
    """
    if num_images < 1:
        raise ValueError(
            f'browse_views: --num-images must be positive, got {num_images}.')
    set_random_seed(seed)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if len(dataset) == 0:
        raise ValueError(
            'browse_views: the train set of the config is empty (data_root '
            f'{cfg.train_dataloader.dataset.get("data_root")!r}).')
    samples = [dataset[i] for i in range(min(num_images, len(dataset)))]
    preprocessor_cfg = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    preprocessor = MODELS.build(preprocessor_cfg)
    with torch.no_grad():
        inputs = preprocessor(default_collate(samples))['inputs']
    if isinstance(inputs, torch.Tensor):
        inputs = [inputs]
    split_views(inputs)  # check the number of views
    if getattr(preprocessor, '_enable_normalize', False):
        inputs = [
            view * preprocessor.std + preprocessor.mean for view in inputs
        ]
    if not getattr(preprocessor, '_channel_conversion', False):
        # The network gets the loaded BGR order: flip it for display.
        inputs = [view[:, [2, 1, 0]] for view in inputs]
    views = [[
        view[i].clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
        for view in inputs
    ] for i in range(len(samples))]
    paths = [
        sample['data_samples'].metainfo.get('img_path', str(i))
        for i, sample in enumerate(samples)
    ]
    return views, paths


def mosaic(patches: Sequence[np.ndarray],
           grid: int,
           separator: int = SEPARATOR) -> np.ndarray:
    """Lay ``grid * grid`` patches out row-major, with white separators.

    Args:
        patches (Sequence[np.ndarray]): ``(h, w, 3)`` uint8 patches.
        grid (int): Patches per side.
        separator (int): Width of the separators in pixels.
            Defaults to :data:`SEPARATOR`.

    Returns:
        np.ndarray: The ``(H, W, 3)`` uint8 mosaic.
    """
    cell_h = max(p.shape[0] for p in patches)
    cell_w = max(p.shape[1] for p in patches)
    height = grid * cell_h + (grid - 1) * separator
    width = grid * cell_w + (grid - 1) * separator
    out = np.full((height, width, 3), 255, dtype=np.uint8)
    for index, patch in enumerate(patches):
        row, col = divmod(index, grid)
        y, x = row * (cell_h + separator), col * (cell_w + separator)
        out[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    return out


def draw_views(views: List[List[np.ndarray]], paths: Sequence[str],
               output: str) -> None:
    """Draw one row per image and save the figure as a PNG.

    Args:
        views (List[List[np.ndarray]]): Per image its ``2 + 2 * k * k``
            views, from :func:`collect_views`.
        paths (Sequence[str]): The image paths, for the titles.
        output (str): The PNG to write.
    """
    height = PANEL_INCHES + TITLE_INCHES
    fig = plt.figure(figsize=figure_size(len(views)), dpi=DPI)
    fig.subplots_adjust(
        left=0.01,
        right=0.99,
        bottom=0.01 / len(views),
        top=1 - TITLE_INCHES / height / len(views) * 0.95,
        wspace=0.06,
        hspace=TITLE_INCHES / PANEL_INCHES * 1.1)
    axes = fig.subplots(len(views), NUM_COLUMNS, squeeze=False)
    for row, (image_views, path) in enumerate(zip(views, paths)):
        global_views, set1, set2, grid = split_views(image_views)
        panels = []
        for index, view in enumerate(global_views, 1):
            h, w = view.shape[:2]
            panels.append((view, f'global view {index} ({w}x{h})'))
        for index, patches in enumerate((set1, set2), 1):
            h, w = patches[0].shape[:2]
            title = f'patch set {index}: {grid}x{grid} of {w}x{h}'
            panels.append((mosaic(patches, grid), title))
        for col, (image, title) in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(image, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                title = f'{osp.basename(path)}: {title}'
            ax.set_title(title, fontsize=9)
    out_dir = osp.dirname(osp.abspath(output))
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(output, dpi=DPI)
    plt.close(fig)


def main(args: Optional[Sequence[str]] = None) -> str:
    """Run the tool.

    Args:
        args (Sequence[str], optional): The command line arguments;
            ``sys.argv[1:]`` if None.

    Returns:
        str: The PNG written.
    """
    opts = parse_args(args)
    cfg = load_config(opts.config, opts.data_root, opts.cfg_options)
    views, paths = collect_views(cfg, opts.num_images, opts.seed)
    draw_views(views, paths, opts.output)
    print(f'Saved the views of {len(views)} image(s) to {opts.output}')
    return opts.output


if __name__ == '__main__':
    main()
