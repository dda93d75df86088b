"""Drawing the synthetic invoices and sticker photos of ``samples``: layouts, labels and fonts.

Three invoice layouts (an A4 table invoice, a narrow thermal receipt, a
marketplace order page) and a device or carton label; what a phone or a scanner
then does to them is in ``sample_camera``. Only the random generator given is
used, so the same seed draws the same pictures.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from membercenter.evidence.sample_camera import photo, screenshot, surface

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Line = tuple[str, int, int]  # description, quantity, unit price in rupiah

LAYOUTS = ("table", "receipt", "online")
DATE_STYLES = ("dmy_dash", "dmy_slash", "dmy_dot", "dmy_short", "iso", "id_long", "id_short", "en_long", "en_short")

MARKETPLACES = ("Belanjaku", "Pasarmu", "Tokonesia")
_CUSTOMERS = ("Budi Santoso", "Siti Rahmawati", "Andi Wijaya", "Dewi Lestari", "Rizky Pratama", "Agus Setiawan")
_STREETS = ("Jl. Merdeka", "Jl. Sudirman", "Jl. Gatot Subroto", "Jl. Diponegoro", "Jl. Ahmad Yani", "Jl. Pahlawan")
_CASHIERS = ("Rina", "Dedi", "Yuni", "Fajar", "Sari")

_ID_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")  # fmt: skip
_ID_MONTH_VARIANTS = {2: ("Februari", "Pebruari"), 11: ("November", "Nopember")}
_ID_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agt", "Sep", "Okt", "Nop", "Des")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # fmt: skip


# --- fonts -------------------------------------------------------------------------------

# matplotlib's fonts; "default" is Pillow's own (Aileron), also the stand-in for all when matplotlib is missing.
_FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "sans_bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif_bold": "DejaVuSerif-Bold.ttf",
    "times": "STIXGeneral.ttf",  # a Times look-alike, as office software prints
    "times_bold": "STIXGeneralBol.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono_bold": "DejaVuSansMono-Bold.ttf",
    "oblique": "DejaVuSans-Oblique.ttf",
}


@functools.cache
def _font_dir() -> str | None:
    try:
        import matplotlib
    except ImportError:
        return None
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return path if os.path.isdir(path) else None


@functools.cache
def _font(family: str, size: int) -> Font:
    """A TrueType font of that family, or Pillow's built-in one when matplotlib's are missing."""
    folder = _font_dir()
    if folder and family != "default":
        path = os.path.join(folder, _FONT_FILES[family])
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _families(rng: random.Random) -> tuple[str, str]:
    """A body and a heading family that go together."""
    return rng.choice(
        (
            ("sans", "sans_bold"),
            ("serif", "serif_bold"),
            ("times", "times_bold"),
            ("default", "sans_bold"),
            ("sans", "serif_bold"),
        )
    )


# --- what is printed ----------------------------------------------------------------------


def format_date(date: dt.date, style: str, rng: random.Random) -> str:
    """The date as a shop's software or a cashier would print it."""
    d, m, y = date.day, date.month, date.year
    if style == "dmy_dash":
        return f"{d:02d}-{m:02d}-{y}"
    if style == "dmy_slash":
        return f"{d:02d}/{m:02d}/{y}" if rng.random() < 0.7 else f"{d}/{m}/{y}"
    if style == "dmy_dot":
        return f"{d:02d}.{m:02d}.{y}"
    if style == "dmy_short":
        return f"{d:02d}{rng.choice('-/')}{m:02d}{rng.choice('-/')}{y % 100:02d}"
    if style == "iso":
        return f"{y}-{m:02d}-{d:02d}"
    if style == "id_long":
        month = rng.choice(_ID_MONTH_VARIANTS.get(m, (_ID_MONTHS[m - 1],)))
        return f"{d} {month} {y}"
    if style == "id_short":
        month = _ID_SHORT[m - 1] if rng.random() < 0.6 else _ID_MONTHS[m - 1][:3]
        return f"{d:02d} {month} {y}"
    if style == "en_long":
        return f"{_EN_MONTHS[m - 1]} {d}, {y}"
    if style == "en_short":
        return f"{_EN_MONTHS[m - 1][:3]} {d}, {y}" if rng.random() < 0.5 else f"{d} {_EN_MONTHS[m - 1][:3]} {y}"
    raise ValueError(f"unknown date style {style!r}")


def _rupiah(amount: int, *, prefix: bool = False) -> str:
    text = f"{amount:,}".replace(",", ".")
    return f"Rp{text}" if prefix else text


@dataclass(frozen=True)
class _Dates:
    """The purchase date as printed, and other dates on the same paper in the same style (due, delivery …)."""

    date: dt.date
    style: str
    rng: random.Random

    @property
    def purchase(self) -> str:
        return format_date(self.date, self.style, self.rng)

    def later(self, days: int) -> str:
        return format_date(self.date + dt.timedelta(days=days), self.style, self.rng)


# --- drawing ----------------------------------------------------------------------------


def _width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> int:
    return int(draw.textlength(text, font=font))


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and _width(draw, candidate, font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _ink(rng: random.Random) -> tuple[int, int, int]:
    v = rng.randrange(0, 60)
    return (v, v, v + rng.randrange(0, 20))


def _table_invoice(
    rng: random.Random, store: str, number: str, dates: _Dates, lines: list[Line], city: str
) -> Image.Image:
    date_text = dates.purchase
    width, height = 1240, 1754
    page = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    body_family, head_family = _families(rng)
    size = rng.randrange(21, 27)
    body, bold = _font(body_family, size), _font(head_family, size)
    ink = _ink(rng)
    english = rng.random() < 0.3
    x0, y = 90, 90
    title = rng.choice(("INVOICE", "FAKTUR PENJUALAN", "NOTA PENJUALAN")) if not english else "INVOICE"
    title_font = _font(head_family, 40)
    draw.text((width - 90, 95), title, font=title_font, fill=ink, anchor="ra")
    room = width - 90 - _width(draw, title, title_font) - 40 - x0  # the letterhead stops short of the title
    store_size = rng.randrange(36, 50)
    while store_size > 24 and _width(draw, store, _font(head_family, store_size)) > room:
        store_size -= 2
    draw.text((x0, y), store, font=_font(head_family, store_size), fill=ink)
    y += 70
    street = rng.choice(_STREETS)
    draw.text((x0, y), f"{street} No. {rng.randrange(1, 200)}, {city}", font=body, fill=ink)
    y += size + 12
    draw.text(
        (x0, y),
        f"Telp. (0{rng.randrange(21, 99)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
        font=body,
        fill=ink,
    )
    y += 80
    draw.line((x0, y, width - 90, y), fill=ink, width=3)
    y += 30
    number_label = (
        rng.choice(("Invoice No.", "Invoice No")) if english else rng.choice(("No. Faktur", "No Faktur", "Nomor Nota"))
    )
    date_label = rng.choice(("Date", "Invoice Date")) if english else rng.choice(("Tanggal", "Tgl", "Tgl. Faktur"))
    meta = [(number_label, number), (date_label, date_text)]
    if rng.random() < 0.4:
        due = rng.choice(("—", "30 hari", dates.later(14), dates.later(30), dates.later(30)))
        meta.append(("Due Date" if english else "Jatuh Tempo", due))
    customer = ("Bill To" if english else "Kepada Yth.", rng.choice(_CUSTOMERS), f"{rng.choice(_STREETS)}, {city}")
    right_x = width // 2 + 80
    for i, (label, value) in enumerate(meta):
        yy = y + i * (size + 16)
        draw.text((right_x, yy), label, font=body, fill=ink)
        draw.text((right_x + 190, yy), f": {value}", font=body, fill=ink)
    for i, text in enumerate(customer):
        draw.text((x0, y + i * (size + 16)), text, font=bold if i == 0 else body, fill=ink)
    y += max(len(meta), 3) * (size + 16) + 40
    columns = [x0, x0 + 60, x0 + 640, x0 + 730, x0 + 900, width - 90]
    headers = (
        ("No", "Description", "Qty", "Unit Price", "Amount")
        if english
        else ("No", "Nama Barang", "Qty", "Harga", "Jumlah")
    )
    row_h = size + 22
    draw.rectangle(
        (columns[0], y, columns[-1], y + row_h),
        fill=(225, 225, 225) if rng.random() < 0.6 else None,
        outline=ink,
        width=2,
    )
    for i, header in enumerate(headers):
        draw.text((columns[i] + 10, y + 10), header, font=bold, fill=ink)
    y += row_h
    total = 0
    for i, (description, qty, price) in enumerate(lines, start=1):
        wrapped = _wrap(draw, description, body, columns[2] - columns[1] - 20)
        h = row_h + (len(wrapped) - 1) * (size + 6)
        draw.rectangle((columns[0], y, columns[-1], y + h), outline=ink, width=1)
        for x in columns[1:-1]:
            draw.line((x, y, x, y + h), fill=ink, width=1)
        draw.text((columns[0] + 15, y + 10), str(i), font=body, fill=ink)
        for j, part in enumerate(wrapped):
            draw.text((columns[1] + 10, y + 10 + j * (size + 6)), part, font=body, fill=ink)
        draw.text((columns[3] - 15, y + 10), str(qty), font=body, fill=ink, anchor="ra")
        draw.text((columns[4] - 10, y + 10), _rupiah(price), font=body, fill=ink, anchor="ra")
        draw.text((columns[5] - 10, y + 10), _rupiah(price * qty), font=body, fill=ink, anchor="ra")
        total += price * qty
        y += h
    y += 25
    for label, amount in (("Subtotal", total), ("PPN 11%" if rng.random() < 0.5 else "Diskon", 0), ("TOTAL", total)):
        draw.text((columns[3], y), label, font=bold, fill=ink)
        draw.text((columns[5] - 10, y), _rupiah(amount, prefix=True), font=bold, fill=ink, anchor="ra")
        y += size + 16
    y += 50
    draw.text((x0, y), "Barang yang sudah dibeli tidak dapat dikembalikan.", font=_font("oblique", size - 3), fill=ink)
    draw.text((width - 300, y), "Hormat kami,", font=body, fill=ink)
    return page


def _receipt(rng: random.Random, store: str, number: str, dates: _Dates, lines: list[Line], city: str) -> Image.Image:
    date_text = dates.purchase
    width = rng.choice((576, 640))
    family = rng.choice(("mono", "mono", "default", "sans"))
    size = rng.randrange(22, 27)
    font, bold = _font(family, size), _font("mono_bold" if family == "mono" else "sans_bold", size + 2)
    items: list[tuple[str, Font, str]] = []  # text, font, alignment

    def row(left: str, right: str = "", f: Font = font) -> None:
        items.append((f"{left}\t{right}" if right else left, f, "split" if right else "left"))

    items.append((store, _font("sans_bold" if family != "mono" else "mono_bold", size + 6), "center"))
    items.append((f"{rng.choice(_STREETS)} {rng.randrange(1, 200)}", font, "center"))
    items.append((city, font, "center"))
    items.append(("-" * 60, font, "rule"))
    time_text = f"{rng.randrange(9, 21):02d}:{rng.randrange(60):02d}"
    if rng.random() < 0.5:
        row(f"{rng.choice(('No', 'No.', 'Nota'))}: {number}")
        row(f"{rng.choice(('Tgl', 'Tanggal', 'Date'))}: {date_text} {time_text}")
    else:
        row(f"{rng.choice(('Tgl', 'Tanggal'))}: {date_text}", time_text)
        row(f"{rng.choice(('No', 'No. Nota', 'Receipt No'))}: {number}")
    row(f"Kasir: {rng.choice(_CASHIERS)}")
    items.append(("-" * 60, font, "rule"))
    total = 0
    for description, qty, price in lines:
        items.append((description, font, "wrap"))
        row(f"  {qty} x {_rupiah(price)}", _rupiah(qty * price))
        if price >= 1_000_000 and rng.random() < 0.3:  # a date that is not the purchase
            row(f"  Garansi s/d {dates.later(365)}")
        total += qty * price
    items.append(("-" * 60, font, "rule"))
    row("TOTAL", _rupiah(total), bold)
    row(rng.choice(("TUNAI", "DEBIT BCA", "QRIS")), _rupiah(total))
    items.append(("-" * 60, font, "rule"))
    items.append(("Terima kasih atas kunjungan Anda", font, "center"))
    items.append(("Barang yang sudah dibeli", font, "center"))
    items.append(("tidak dapat ditukar/dikembalikan", font, "center"))

    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    margin = 24
    rendered: list[tuple[str, Font, str]] = []
    for text, f, align in items:
        if align == "wrap":
            rendered += [(part, f, "left") for part in _wrap(scratch, text, f, width - 2 * margin)]
        elif align == "center" and _width(scratch, text, f) > width - 2 * margin:
            rendered += [(part, f, "center") for part in _wrap(scratch, text, f, width - 2 * margin)]
        else:
            rendered.append((text, f, align))
    step = size + rng.randrange(8, 14)
    height = 60 + len(rendered) * step + 60
    paper = rng.randrange(236, 252)
    page = Image.new("RGB", (width, height), (paper, paper, paper - rng.randrange(0, 8)))
    draw = ImageDraw.Draw(page)
    ink = (rng.randrange(20, 70),) * 3  # thermal print is grey rather than black
    y = 60
    for text, f, align in rendered:
        if align == "center":
            draw.text((width // 2, y), text, font=f, fill=ink, anchor="ma")
        elif align == "rule":
            dash = "-" * int((width - 2 * margin) / max(1, _width(draw, "-", f)))
            draw.text((margin, y), dash, font=f, fill=ink)
        elif align == "split":
            left, right = text.split("\t")
            draw.text((margin, y), left, font=f, fill=ink)
            draw.text((width - margin, y), right, font=f, fill=ink, anchor="ra")
        else:
            draw.text((margin, y), text, font=f, fill=ink)
        y += step
    return page


def _online_order(
    rng: random.Random, store: str, number: str, dates: _Dates, lines: list[Line], city: str
) -> Image.Image:
    date_text = dates.purchase
    width = rng.choice((1080, 1125, 1170))
    family = rng.choice(("sans", "default"))
    size = rng.randrange(30, 38)
    font, bold = _font(family, size), _font("sans_bold", size)
    small = _font(family, size - 6)
    grey = (110, 110, 110)
    ink = (33, 33, 33)
    english = rng.random() < 0.3
    brand_color = rng.choice(((3, 172, 14), (238, 77, 45), (0, 120, 215)))
    height = 2200
    page = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, width, 150), fill=brand_color)
    draw.text((40, 75), "←", font=_font("sans_bold", 48), fill="white", anchor="lm")
    draw.text(
        (120, 75),
        "Order Details" if english else "Rincian Pesanan",
        font=_font("sans_bold", size + 4),
        fill="white",
        anchor="lm",
    )
    draw.text((width - 40, 75), rng.choice(MARKETPLACES), font=_font("sans_bold", size - 4), fill="white", anchor="rm")
    pad = 40
    y = 180

    def card(rows: int, extra: int = 0) -> tuple[int, int]:
        top = y
        bottom = top + 40 + rows * (size + 30) + extra
        draw.rectangle((0, top, width, bottom), fill="white")
        return top + 30, bottom

    def clock() -> str:
        return f", {rng.randrange(8, 23):02d}:{rng.randrange(60):02d} WIB" if rng.random() < 0.6 else ""

    rows = [
        ("Order ID" if english else rng.choice(("No. Pesanan", "No. Invoice", "Nomor Pesanan")), number),
        (
            "Order Date" if english else rng.choice(("Waktu Pemesanan", "Tanggal Pembelian", "Tanggal Pesanan")),
            date_text + clock(),
        ),
    ]
    if rng.random() < 0.4:  # later dates of the same order, which are not the purchase
        later = rng.randrange(1, 5)
        label = "Shipped" if english else rng.choice(("Waktu Pengiriman", "Tanggal Pengiriman", "Pesanan Selesai"))
        rows.append((label, dates.later(later) + clock()))
    top, bottom = card(len(rows) + 1)
    status = "Completed" if english else rng.choice(("Selesai", "Pesanan Selesai"))
    draw.text((pad, top), status, font=bold, fill=brand_color)
    for i, (label, value) in enumerate(rows):
        yy = top + (i + 1) * (size + 30)
        draw.text((pad, yy), label, font=font, fill=grey)
        draw.text((width - pad, yy), value, font=font, fill=ink, anchor="ra")
    y = bottom + 20
    top, bottom = card(1, extra=20)
    seller_label = "Seller" if english else rng.choice(("Penjual", "Toko"))
    if rng.random() < 0.5:
        draw.text((pad, top), f"{seller_label}: ", font=font, fill=grey)
        draw.text((pad + _width(draw, f"{seller_label}: ", font), top), store, font=bold, fill=ink)
    else:
        draw.rectangle((pad, top, pad + 50, top + 50), fill=brand_color)
        draw.text((pad + 70, top + 5), store, font=bold, fill=ink)
    y = bottom + 20
    total = 0
    for description, qty, price in lines:
        text_x = pad + 200
        wrapped = _wrap(draw, description, font, width - text_x - pad)[:3]
        top, bottom = card(len(wrapped) + 1, extra=30)
        draw.rectangle((pad, top, pad + 170, top + 170), fill=(rng.randrange(200, 235),) * 3)
        for j, part in enumerate(wrapped):
            draw.text((text_x, top + j * (size + 10)), part, font=font, fill=ink)
        yy = top + len(wrapped) * (size + 10) + 15
        draw.text((text_x, yy), f"{qty} x {_rupiah(price, prefix=True)}", font=small, fill=grey)
        total += qty * price
        y = bottom + 2
    y += 20
    top, bottom = card(4)
    draw.text((pad, top), "Payment Details" if english else "Rincian Pembayaran", font=bold, fill=ink)
    shipping = rng.choice((0, 12000, 25000))
    payment = (
        (("Total Price", total), ("Shipping", shipping), ("Total", total + shipping))
        if english
        else (("Total Harga", total), ("Ongkos Kirim", shipping), ("Total Belanja", total + shipping))
    )
    for i, (label, amount) in enumerate(payment):
        yy = top + (i + 1) * (size + 30)
        draw.text((pad, yy), label, font=bold if i == 2 else font, fill=ink if i == 2 else grey)
        draw.text((width - pad, yy), _rupiah(amount, prefix=True), font=bold if i == 2 else font, fill=ink, anchor="ra")
    y = bottom + 20
    top, bottom = card(2)
    draw.text((pad, top), "Shipping Address" if english else "Alamat Pengiriman", font=bold, fill=ink)
    draw.text(
        (pad, top + size + 30),
        f"{rng.choice(_CUSTOMERS)}, {rng.choice(_STREETS)} {rng.randrange(1, 99)}, {city}",
        font=small,
        fill=grey,
    )
    return page.crop((0, 0, width, min(height, bottom + 60)))


_LAYOUT_DRAWERS = {"table": _table_invoice, "receipt": _receipt, "online": _online_order}


def invoice_image(
    rng: random.Random,
    *,
    store: str,
    number: str,
    date: dt.date,
    lines: list[Line],
    layout: str | None = None,
    date_style: str | None = None,
    distort: bool = True,
    city: str = "Jakarta",
) -> Image.Image:
    """An invoice as a member would upload it: a scan or phone photo of paper, or a screenshot."""
    layout = layout or rng.choice(LAYOUTS)
    dates = _Dates(date, date_style or rng.choice(DATE_STYLES), rng)
    page = _LAYOUT_DRAWERS[layout](rng, store, number, dates, lines, city)
    if not distort:
        return page
    if layout == "online":
        return screenshot(rng, page)
    if layout == "receipt":
        return photo(rng, page, surround=surface(rng), margin=(0.08, 0.3), width=(900, 1500))
    if rng.random() < 0.6:
        return photo(rng, page, surround=surface(rng), width=(1150, 1600))
    return photo(rng, page, surround=None)


# --- stickers -------------------------------------------------------------------------------


def _barcode(rng: random.Random, width: int, height: int) -> Image.Image:
    bars = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(bars)
    x = 0
    while x < width:
        w = rng.choice((2, 2, 4, 6))
        if rng.random() < 0.55:
            draw.rectangle((x, 0, x + w - 1, height), fill=0)
        x += w
    return bars


def sticker_image(
    rng: random.Random,
    *,
    sn: str | None,
    chk: str | None,
    model_code: str,
    distort: bool = True,
    kind: str = "device",
    brand: str = "Nimbus",
    model_name: str = "",
) -> Image.Image:
    """A phone photo of the rating label under a device, or (kind="box") of the label on its carton."""
    label_w, label_h = rng.randrange(760, 900), 800  # cut to what is printed at the end
    tone = rng.randrange(232, 252) if rng.random() < 0.7 else rng.randrange(196, 214)
    label = Image.new("RGB", (label_w, label_h), (tone, tone, tone))
    draw = ImageDraw.Draw(label)
    family = rng.choice(("sans", "sans_bold", "mono", "default"))
    size = rng.randrange(28, 36)
    font, bold = _font(family, size), _font("sans_bold", size + 2)
    ink = (rng.randrange(0, 40),) * 3
    x, y = 30, 22
    draw.text((x, y), brand.upper(), font=_font("sans_bold", size + 14), fill=ink)
    y += size + 30
    if kind == "device":
        draw.text((x, y), f"{rng.choice(('Model', 'MODEL', 'Model No.'))}: {model_code}", font=font, fill=ink)
        draw.text((label_w - 30, y), rng.choice(("20V 6.75A", "12V 2A")), font=font, fill=ink, anchor="ra")
    else:
        draw.text((x, y), model_name or model_code, font=bold, fill=ink)
    y += size + 22
    if sn is not None:
        sn_label = rng.choice(("S/N:", "S/N", "SN:", "Serial No.:"))
        printed = sn if rng.random() < 0.8 else f"{sn[: len(sn) // 2]} {sn[len(sn) // 2 :]}"
        draw.text((x, y), f"{sn_label} {printed}", font=bold, fill=ink)
        y += size + 14
        code = _barcode(rng, min(label_w - 60, 520), 70)
        label.paste(Image.merge("RGB", (code, code, code)), (x, y))
        if rng.random() < 0.5:
            draw.text((x + code.width // 2, y + 74), sn, font=_font("mono", size - 8), fill=ink, anchor="ma")
        y += 74 + size
    if kind == "box":
        ean = "899" + "".join(str(rng.randrange(10)) for _ in range(10))
        code = _barcode(rng, 380, 80)
        label.paste(Image.merge("RGB", (code, code, code)), (x, y))
        draw.text((x + 190, y + 84), ean, font=_font("mono", size - 6), fill=ink, anchor="ma")
        draw.text((label_w - 30, y + 10), f"Color: {rng.choice(('Black', 'Silver'))}", font=font, fill=ink, anchor="ra")
        draw.text((label_w - 30, y + 20 + size), "Qty: 1 PCS", font=font, fill=ink, anchor="ra")
        y += 84 + size
    if chk is not None:
        draw.text((label_w - 30, y - size), f"{rng.choice(('CHK:', 'CHK'))} {chk}", font=bold, fill=ink, anchor="ra")
    y += rng.randrange(10, 40)
    draw.text(
        (x, y),
        rng.choice(("Made in Indonesia", "Made in China", "SDPPI 81234/SDPPI/2024")),
        font=_font("sans", size - 10),
        fill=ink,
    )
    label = label.crop((0, 0, label_w, y + size + 10))
    if kind == "box":
        surround = (rng.randrange(165, 200), rng.randrange(125, 150), rng.randrange(80, 100))
    else:
        grey = rng.choice((rng.randrange(18, 40), rng.randrange(60, 100), rng.randrange(140, 180)))
        surround = (grey, grey, grey + rng.randrange(0, 8))
    if not distort:
        return label
    return photo(rng, label, surround=surround, margin=(0.12, 0.5), width=(1000, 1600), strength=0.8)
