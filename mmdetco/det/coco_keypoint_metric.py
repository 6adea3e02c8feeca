# Copyright (c) mmdetco contributors. All rights reserved.
"""COCO keypoint AP of Keypoint R-CNN detections."""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger
from pycocotools.cocoeval import COCOeval

# the names COCOeval(iouType='keypoints') gives to its ten statistics
KEYPOINT_STATS = ('AP', 'AP50', 'AP75', 'APm', 'APl', 'AR', 'AR50', 'AR75',
                  'ARm', 'ARl')


@METRICS.register_module()
class CocoKeypointMetric(BaseMetric):
    """COCO keypoint AP of detections with keypoints.

    ``COCOeval(iouType='keypoints')`` of detections with ``keypoints`` and
    ``keypoint_scores``.

    Each detection becomes a COCO result of its image and category with
    ``keypoints`` ``[x, y, score] * K`` (0.5 subtracted from the
    coordinates, as detectron2 does, since COCO keypoints are pixel indices)
    and ``score``, the box score. Logged as ``coco/keypoints_AP``,
    ``coco/keypoints_AP50``, ``coco/keypoints_AP75``, ... (all ten
    statistics of COCOeval).

    Args:
        ann_file (str): COCO keypoint annotations (e.g.
            ``person_keypoints_val2017.json``).
        collect_device (str): Device to collect results on.
            Defaults to 'cpu'.
        prefix (str, optional): Metric prefix. Defaults to 'coco'.
        backend_args (dict, optional): File backend arguments.
    """
    default_prefix: Optional[str] = 'coco'

    def __init__(self,
                 ann_file: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        with get_local_path(ann_file, backend_args=backend_args) as path:
            self._coco_api = COCO(path)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the detections of each image as COCO keypoint results.

        Args:
            data_batch (dict): A batch of data from the dataloader.
            data_samples (Sequence[dict]): The model outputs.
        """
        cat_ids = self._coco_api.get_cat_ids(
            cat_names=self.dataset_meta['classes'])
        for sample in data_samples:
            pred = sample['pred_instances']
            keypoints = pred['keypoints'].cpu().numpy() - 0.5
            scores = pred['keypoint_scores'].cpu().numpy()
            kpts = np.concatenate([keypoints, scores[..., None]], -1)
            self.results.append((sample['img_id'], [
                dict(
                    image_id=sample['img_id'],
                    category_id=cat_ids[label],
                    keypoints=kpt.reshape(-1).tolist(),
                    score=score) for kpt, label, score in zip(
                        kpts, pred['labels'].tolist(),
                        pred['scores'].tolist())
            ]))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """COCO keypoint AP of all results.

        Args:
            results (list): ``(image id, COCO results)`` of each image.

        Returns:
            dict[str, float]: ``keypoints_AP``, ``keypoints_AP50``, ...
            (-1 where there is nothing to evaluate, as COCOeval).
        """
        logger = MMLogger.get_current_instance()
        eval_results = OrderedDict(
            (f'keypoints_{name}', -1.0) for name in KEYPOINT_STATS)
        detections = [det for _, dets in results for det in dets]
        if not detections:
            logger.warning('No keypoint detections: keypoint AP is -1.')
            return eval_results
        coco_eval = COCOeval(self._coco_api,
                             self._coco_api.loadRes(detections), 'keypoints')
        # the evaluated images (all of them, also those without detections)
        coco_eval.params.imgIds = sorted({img_id for img_id, _ in results})
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
        logger.info('\n' + output.getvalue())
        for name, value in zip(KEYPOINT_STATS, coco_eval.stats):
            eval_results[f'keypoints_{name}'] = round(float(value), 4)
        return eval_results
