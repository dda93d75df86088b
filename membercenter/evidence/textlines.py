"""Putting OCR boxes back into the lines and passages they were printed in, and text's normal forms.

OCR returns boxes, sometimes a word, sometimes a line, sometimes two columns run
together. Reading an invoice needs the printed lines back (a label and its value),
also from a photo taken at a slant, where one line's boxes do not share a y.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from membercenter.catalog.serials import sn_skeleton
from membercenter.evidence.ocr import TextBox

Box = tuple[int, int, int, int]

# --- text normal forms ------------------------------------------------------------------------

_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def alnum_with_positions(text: str) -> tuple[str, list[int]]:
    """The upper-cased ASCII letters and digits of ``text``, and where each one is in it."""
    chars, positions = [], []
    for i, c in enumerate(text):
        upper = c.upper()
        if upper in _ALNUM:
            chars.append(upper)
            positions.append(i)
    return "".join(chars), positions


def alnum(text: str) -> str:
    """Upper-case letters and digits only: what survives OCR's spacing and punctuation."""
    return alnum_with_positions(text)[0]


def fold(text: str) -> str:
    """``alnum`` with look-alike characters folded (the serial registry's map), to compare two readings."""
    return sn_skeleton(alnum(text))


# --- lines --------------------------------------------------------------------------------------


@dataclass
class Line:
    boxes: list[TextBox]

    @property
    def text(self) -> str:
        return " ".join(box.text for box in self.boxes)

    @property
    def box(self) -> Box:
        return union(self.boxes)


def union(boxes: list[TextBox]) -> Box:
    return (
        min(b.box[0] for b in boxes),
        min(b.box[1] for b in boxes),
        max(b.box[2] for b in boxes),
        max(b.box[3] for b in boxes),
    )


def width(box: TextBox) -> int:
    return box.box[2] - box.box[0]


def reliable_angle(box: TextBox) -> bool:
    # The detector's quadrilateral of a short word is often axis-aligned whatever the slant.
    return width(box) > 3 * box.height


def page_angle(boxes: list[TextBox]) -> float:
    angles = [box.angle for box in boxes if reliable_angle(box)]
    return statistics.median(angles) if angles else 0.0


def text_height(box: TextBox, angle: float) -> float:
    """The height of the letters, without what the slant adds to the axis-aligned box."""
    radians = math.radians(angle)
    return max(4.0, (box.height - width(box) * abs(math.sin(radians))) / max(0.5, math.cos(radians)))


def text_lines(boxes: list[TextBox]) -> list[list[TextBox]]:
    """The boxes grouped into printed lines, top to bottom, each left to right."""
    return [line.boxes for line in group_lines(boxes)]


def group_lines(boxes: list[TextBox]) -> list[Line]:
    """Printed lines: a box joins the line whose nearest box, followed along its slant, runs through it."""
    slant = page_angle(boxes)

    def angle_of(box: TextBox) -> float:
        return box.angle if reliable_angle(box) else slant

    def straightened_y(box: TextBox) -> float:
        cx, cy = box.center
        return cy - math.tan(math.radians(slant)) * cx

    lines: list[Line] = []
    for box in sorted(boxes, key=straightened_y):
        cx, cy = box.center
        best: tuple[float, Line] | None = None
        for line in lines[-12:]:
            if any(x_overlap(box, other) > 0.3 * min(width(box), width(other)) for other in line.boxes):
                continue
            ref = min(line.boxes, key=lambda other: abs(other.center[0] - cx))
            local = angle_of(ref) if width(ref) >= width(box) else angle_of(box)
            rx, ry = ref.center
            offset = abs(cy - (ry + math.tan(math.radians(local)) * (cx - rx)))
            tolerance = 0.5 * min(text_height(ref, angle_of(ref)), text_height(box, angle_of(box)))
            if offset < tolerance and (best is None or offset < best[0]):
                best = (offset, line)
        if best is None:
            lines.append(Line([box]))
        else:
            best[1].boxes.append(box)
    for line in lines:
        line.boxes.sort(key=lambda b: b.box[0])
    return sorted(lines, key=lambda line: min(straightened_y(b) for b in line.boxes))


def x_overlap(a: TextBox, b: TextBox) -> int:
    return max(0, min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]))


def boxes_below(lines: list[Line]) -> dict[int, TextBox]:
    """For each box (by ``id``), the box printed right under it: a wrapped cell, a value under its label.

    Looked for in the next two lines, along the page's slant: on a tilted photo
    the axis-aligned boxes of two lines overlap, so their tops and bottoms say
    nothing about which is under which.
    """
    slant = math.tan(math.radians(page_angle([box for line in lines for box in line.boxes])))
    under: dict[int, TextBox] = {}
    for i, line in enumerate(lines):
        for box in line.boxes:
            height = text_height(box, math.degrees(math.atan(slant)))
            cx, cy = box.center
            for following in lines[i + 1 : i + 3]:
                candidates = []
                for other in following.boxes:
                    aligned = x_overlap(box, other) > 0 or abs(other.box[0] - box.box[0]) < 2 * height
                    drop = other.center[1] - (cy + slant * (other.center[0] - cx))
                    if aligned and 0.5 * height < drop < 2.5 * height:
                        candidates.append((drop, other))
                if candidates:
                    under[id(box)] = min(candidates, key=lambda candidate: candidate[0])[1]
                    break
    return under


@dataclass(frozen=True)
class Passage:
    """A stretch of text to search, with where it is: one line, or a box and the one under it."""

    text: str
    box: Box


def passages(lines: list[Line]) -> list[Passage]:
    """Where a name may be printed: each line, and each box joined with the one under it (a wrapped cell)."""
    found = [Passage(line.text, line.box) for line in lines]
    under = boxes_below(lines)
    for line in lines:
        for box in line.boxes:
            if id(box) in under:
                found.append(Passage(f"{box.text} {under[id(box)].text}", union([box, under[id(box)]])))
    return found
