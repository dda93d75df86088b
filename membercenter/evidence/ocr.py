"""Offline text recognition for evidence pictures (RapidOCR on onnxruntime).

The models ship inside the rapidocr-onnxruntime wheel, so nothing is downloaded.
Loading them takes about a second, so one engine is made per process, on first
use. onnxruntime sessions can be run from several threads at once; the lock only
guards the creation.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from PIL import Image

_engine: Any = None
_engine_lock = threading.Lock()

# A page photo is read at this longest side at most: the detector's input grows with
# the square of it, and invoice text stays legible well below it.
MAX_SIDE = 2000


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


def ocr_image(image: Image.Image) -> list[TextBox]:
    """Every text line the engine reads in the picture, top to bottom."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    results, _elapse = _ocr_engine()(rgb)
    boxes = []
    for quad, text, score in results or []:
        text = str(text).strip()
        if not text:
            continue
        xs = [point[0] for point in quad]
        ys = [point[1] for point in quad]
        box = (int(min(xs)), int(min(ys)), int(math.ceil(max(xs))), int(math.ceil(max(ys))))
        boxes.append(TextBox(text=text, box=box, score=float(score), angle=_baseline_angle(quad)))
    return boxes


def _baseline_angle(quad: list[list[float]]) -> float:
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
        max_side_len=MAX_SIDE,
        # Text turned upside down does not occur on a photo of a paper held in
        # the hand; the angle classifier costs time for nothing (measured, see
        # bench/bench_evidence.py), so it is left out.
        use_cls=False,
    )
