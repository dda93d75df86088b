"""Offline text recognition for evidence pictures (RapidOCR on onnxruntime).

The models ship inside the rapidocr-onnxruntime wheel, so nothing is downloaded.
Loading them takes about a second, so one engine is made per process, on first
use; onnxruntime sessions may then be run from several threads at once.

The pipeline is RapidOCR's own (detect text lines, crop each, recognise it), with
one change: lines are *detected* on a copy at most ``DETECT_MAX_SIDE`` pixels on
its long side, and *recognised* from crops of the full picture. Detection's cost
grows with the pixel count, and it finds the lines as well at that size;
recognition rescales every crop to 48 pixels high, so it would gain nothing from a
smaller picture and would lose detail. The methods used are RapidOCR's own public
ones (``preprocess``, ``auto_text_det``, ``get_crop_img_list``, ``text_rec``) of the
pinned version. On the bench's set (bench/bench_evidence.py) this took about a
third off the time of a phone photo and changed no answer; detecting at 960
pixels missed a line of small print.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    from PIL import Image

DETECT_MAX_SIDE = 1280
# Text scored lower than this is mostly noise read into textures and barcodes.
MIN_SCORE = 0.5

_engine: Any = None
_engine_lock = threading.Lock()


@dataclass(frozen=True)
class TextBox:
    """One line (or fragment of a line) of recognised text.

    ``box`` is axis-aligned (x0, y0, x1, y1) in the pixels of the image given.
    ``angle`` is how far the text's baseline is tilted, in degrees (positive when it
    runs down to the right): on a photo taken at a slant the boxes of one printed
    line do not share a y, and the reader needs the slant to put them back together.
    """

    text: str
    box: tuple[int, int, int, int]
    score: float
    angle: float = 0.0

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def center(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


def ocr_ready() -> None:
    """Load the engine now (a second or so), e.g. before timing a reading."""
    _ocr_engine()


def ocr_image(image: Image.Image) -> list[TextBox]:
    """Every text line the engine reads in the picture, top to bottom."""
    import cv2

    engine = _ocr_engine()
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    full, ratio_h, ratio_w = engine.preprocess(bgr)  # RapidOCR's own bounds on the picture's size
    scale = min(1.0, DETECT_MAX_SIDE / max(full.shape[:2]))
    small = full if scale == 1.0 else cv2.resize(full, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    quads, _elapsed = engine.auto_text_det(small)
    if quads is None:
        return []
    quads = [np.asarray(quad, dtype=np.float32) / scale for quad in quads]
    texts, _elapsed = engine.text_rec(engine.get_crop_img_list(full, quads))
    boxes = []
    for quad, (text, score) in zip(quads, texts, strict=True):
        text = str(text).strip()
        if not text or score < MIN_SCORE:
            continue
        xs = np.clip(quad[:, 0] * ratio_w, 0, image.width)
        ys = np.clip(quad[:, 1] * ratio_h, 0, image.height)
        box = (int(xs.min()), int(ys.min()), math.ceil(xs.max()), math.ceil(ys.max()))
        boxes.append(TextBox(text=text, box=box, score=float(score), angle=_baseline_angle(quad)))
    return boxes


def _baseline_angle(quad: np.ndarray) -> float:
    """The slant of the quadrilateral's top edge (points run clockwise from the top left)."""
    (x0, y0), (x1, y1) = quad[0], quad[1]
    if x1 - x0 < 1:
        return 0.0
    return math.degrees(math.atan2(y1 - y0, x1 - x0))


def _ocr_engine() -> Any:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = _make_engine()
    return _engine


def _make_engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    threads = int(getattr(settings, "EVIDENCE_OCR_THREADS", 1))
    return RapidOCR(
        intra_op_num_threads=threads,
        inter_op_num_threads=1,
        # The angle classifier turns lines printed upside down; a photo of a paper is
        # at most a few degrees off, and on the bench's set it changed no answer while
        # costing about a tenth more time.
        use_cls=False,
    )
