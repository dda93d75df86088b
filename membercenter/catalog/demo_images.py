"""Pictures for "How to identify the product serial number?": a line drawing per category.

Each picture shows the device, a highlighted spot where the sticker is, and that
sticker enlarged with a sample SN and CHK, so members know what to look for.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 400
INK = (55, 65, 81)
PAPER = (255, 255, 255)
HIGHLIGHT = (253, 224, 71)
ACCENT = (220, 38, 38)
STICKER_TEXT = "S/N: ABC1234567  CHK: 123"

Box = tuple[int, int, int, int]
Drawing = Callable[[ImageDraw.ImageDraw], Box]


def sn_help_png(slug: str, caption: str) -> bytes:
    """A 640×400 PNG for the category `slug` (any other slug gets the laptop)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.text((20, 14), caption, fill=INK, font=ImageFont.load_default(size=20))
    spot = _DRAWINGS.get(slug, _laptop)(draw)
    _sticker_callout(draw, spot)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _sticker_callout(draw: ImageDraw.ImageDraw, spot: Box) -> None:
    """Mark the sticker's place on the device and show it enlarged below."""
    draw.rectangle(spot, fill=HIGHLIGHT, outline=ACCENT, width=3)
    label = (300, 334, 620, 384)
    spot_centre = ((spot[0] + spot[2]) // 2, spot[3])
    draw.line([spot_centre, (label[0] + 40, label[1])], fill=ACCENT, width=3)
    draw.rectangle(label, fill=HIGHLIGHT, outline=ACCENT, width=3)
    draw.text((label[0] + 14, label[1] + 13), STICKER_TEXT, fill=(0, 0, 0), font=ImageFont.load_default(size=20))


def _laptop(draw: ImageDraw.ImageDraw) -> Box:
    draw.rounded_rectangle((70, 60, 450, 310), radius=24, outline=INK, width=4)
    for x, y in [(95, 85), (425, 85), (95, 285), (425, 285)]:
        draw.ellipse((x - 10, y - 10, x + 10, y + 10), outline=INK, width=3)  # rubber feet
    for x in range(170, 351, 15):
        draw.line([(x, 95), (x, 150)], fill=INK, width=2)  # vents
    return (200, 225, 320, 265)


def _desktop(draw: ImageDraw.ImageDraw) -> Box:
    draw.rectangle((150, 55, 330, 320), outline=INK, width=4)
    draw.rectangle((165, 70, 315, 120), outline=INK, width=3)  # power supply
    draw.ellipse((250, 80, 285, 112), outline=INK, width=2)  # PSU fan
    draw.rectangle((170, 135, 200, 240), outline=INK, width=2)  # I/O panel
    for y in range(250, 311, 14):
        draw.line([(215, y), (315, y)], fill=INK, width=2)  # slot covers
    return (212, 140, 300, 170)


def _aio(draw: ImageDraw.ImageDraw) -> Box:
    draw.rounded_rectangle((60, 55, 460, 270), radius=14, outline=INK, width=4)
    draw.polygon([(225, 270), (295, 270), (310, 310), (210, 310)], outline=INK, width=3)  # stand
    draw.line([(160, 315), (360, 315)], fill=INK, width=5)  # base
    return (200, 215, 320, 250)


def _monitor(draw: ImageDraw.ImageDraw) -> Box:
    draw.rounded_rectangle((70, 60, 450, 255), radius=10, outline=INK, width=4)
    draw.rectangle((230, 255, 290, 300), outline=INK, width=3)  # neck
    draw.line([(170, 308), (350, 308)], fill=INK, width=5)
    for x in range(300, 421, 24):
        draw.rectangle((x, 215, x + 16, 231), outline=INK, width=2)  # ports
    return (110, 200, 230, 235)


def _motherboard(draw: ImageDraw.ImageDraw) -> Box:
    draw.rectangle((90, 50, 390, 320), outline=INK, width=4)
    draw.rectangle((150, 80, 230, 160), outline=INK, width=3)  # CPU socket
    for x in range(270, 331, 18):
        draw.rectangle((x, 70, x + 8, 190), outline=INK, width=2)  # memory slots
    for y in (215, 275):
        draw.rectangle((120, y, 360, y + 14), outline=INK, width=2)  # expansion slots
    return (170, 238, 290, 262)


def _graphics_card(draw: ImageDraw.ImageDraw) -> Box:
    draw.rectangle((60, 120, 470, 270), outline=INK, width=4)
    draw.rectangle((40, 105, 60, 290), outline=INK, width=3)  # bracket
    draw.rectangle((150, 270, 330, 285), outline=INK, width=2)  # slot contacts
    for x in range(90, 451, 30):
        draw.line([(x, 135), (x, 170)], fill=INK, width=2)  # back-plate cut-outs
    return (200, 200, 330, 240)


def _gaming_gear(draw: ImageDraw.ImageDraw) -> Box:
    draw.ellipse((170, 50, 350, 320), outline=INK, width=4)  # mouse, upside down
    draw.ellipse((245, 110, 275, 140), outline=INK, width=3)  # sensor
    draw.rounded_rectangle((215, 70, 305, 85), radius=6, outline=INK, width=2)  # glide pad
    draw.rounded_rectangle((215, 285, 305, 300), radius=6, outline=INK, width=2)
    return (205, 200, 315, 240)


_DRAWINGS: dict[str, Drawing] = {
    "laptop": _laptop,
    "desktop": _desktop,
    "aio": _aio,
    "monitor": _monitor,
    "motherboard": _motherboard,
    "graphics-card": _graphics_card,
    "gaming-gear": _gaming_gear,
}
