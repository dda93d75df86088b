"""Synthetic invoices and serial-sticker photos with their ground truth.

The evidence checks are measured on these (bench/bench_evidence.py), the tests
read a few, and the demo data uses them as uploads. Everything is drawn from the
``random.Random`` given, so a seed gives the same pictures on every machine that
has the same fonts (matplotlib's DejaVu and STIX when installed, else Pillow's own).

Brands, products and stores are invented; the products come in families of
near-identical names ("Vista AX242 12M" / "Vista AX242 8M") because telling those
apart is what the model check must get right.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Line = tuple[str, int, int]  # description, quantity, unit price in rupiah

LAYOUTS = ("table", "receipt", "online")
DATE_STYLES = ("dmy_dash", "dmy_slash", "dmy_dot", "dmy_short", "iso", "id_long", "id_short", "en_long", "en_short")


@dataclass(frozen=True)
class Product:
    brand: str
    name: str  # as the catalog lists it, without the brand
    aliases: tuple[str, ...]  # other names the catalog lists (SKUs)
    siblings: tuple[str, ...]  # different models whose names are nearly the same
    category: str
    code: str  # the model code printed on the device's label
    spec: str


PRODUCTS = (
    Product("Nimbus", "Vista AX242 12M", ("AX242-12M-021ID",), ("Vista AX242 8M", "Vista AX272P 12M"),
            "All-in-One PC", "NB-A242", "i5-1235U/8GB/512GB"),
    Product("Nimbus", "Stratos 15 B12VE", ("S15-B12VE-1024ID",), ("Stratos 15 B12VF", "Stratos 17 B12VE"),
            "Laptop", "NB-1584", "i7-12650H/16GB/1TB"),
    Product("Arkon", "Helix G24C4 E2", (), ("Helix G27C4 E2", "Helix G24C4 E3"), "Monitor", "3CA9", '23.6" 180Hz'),
    Product("Arkon", "Orbit Pro H610M-E", ("H610M-E DDR4",), ("Orbit Pro H610M-S", "Orbit Pro B760M-E"),
            "Motherboard", "7D48", "LGA1700 mATX"),
    Product("Veltra", "Cirrus 14 A5MD", (), ("Cirrus 14 A7MD", "Cirrus 16 A5MD"), "Laptop", "VT-14L1",
            "R5-7530U/8GB/512GB"),
    Product("Veltra", "Aerion V460 Duo 8G", (), ("Aerion V460 Duo 16G", "Aerion V470 Duo 8G"), "Graphics Card",
            "VG-602", "GDDR6 128-bit"),
)  # fmt: skip

ACCESSORIES = (
    "Mouse Wireless Arkon M110",
    "Tas Laptop 15.6 inch",
    "Flashdisk 64GB USB 3.0",
    "Jasa Instal Windows + Office",
    "Kabel HDMI 1.5m",
    "Garansi Tambahan 1 Tahun",
    "Mousepad Gaming XL",
    "Keyboard USB Veltra K120",
    "Headset Veltra H300",
    "Cooling Pad 2 Fan",
)


@dataclass(frozen=True)
class Store:
    name: str  # as registered in the catalog
    city: str
    online: bool = False


STORES = (
    Store("Toko Sinar Jaya Elektronik", "Bandung"),
    Store("CV Mega Komputer", "Surabaya"),
    Store("PT Cahaya Abadi Teknologi", "Jakarta Barat"),
    Store("Toko Maju Bersama Computer", "Medan"),
    Store("UD Sentosa Elektronik", "Semarang"),
    Store("Toko Bintang Terang Komputer", "Yogyakarta"),
    Store("CV Harapan Digital", "Makassar"),
    Store("Toko Sinar Abadi Elektronik", "Bandung"),
    Store("CV Mega Komputindo", "Surabaya"),
    Store("Tokoku Official Store", "Jakarta Utara", online=True),
    Store("Gadgetindo Official Store", "Tangerang", online=True),
    Store("Pusat Laptop Murah", "Jakarta Pusat", online=True),
    Store("Komputer Kita Shop", "Depok", online=True),
    Store("Gadgetku Official Store", "Bekasi", online=True),
)
# Different shops with nearly the same name: the store check must tell them apart.
_TWINS = {
    "Toko Sinar Jaya Elektronik": "Toko Sinar Abadi Elektronik",
    "Toko Sinar Abadi Elektronik": "Toko Sinar Jaya Elektronik",
    "CV Mega Komputer": "CV Mega Komputindo",
    "CV Mega Komputindo": "CV Mega Komputer",
    "Gadgetindo Official Store": "Gadgetku Official Store",
    "Gadgetku Official Store": "Gadgetindo Official Store",
}
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


@dataclass
class InvoiceSample:
    """One invoice picture, what is printed on it, the claim it is checked against, and the right verdicts."""

    image: Image.Image
    store: str  # the store as printed
    number: str
    date: dt.date
    model: str | None  # the model printed, None when the invoice has none of the family
    layout: str
    claim_models: list[str]  # the registered model's catalog name and its aliases
    claim_store: str
    start: dt.date
    end: dt.date
    expected: dict[str, bool] = field(default_factory=dict)  # model_found, date_in_window, store_match
    note: str = ""  # what kind of negative, for reading a bench report

    def jpeg(self) -> bytes:
        return _encode(self.image, "JPEG", quality=95)


@dataclass
class StickerSample:
    image: Image.Image
    sn: str | None  # the serial printed, None on a box label without one
    chk: str | None
    model_code: str
    kind: str  # "device" or "box"
    registered_sn: str  # what the member typed when registering
    expected: dict[str, bool] = field(default_factory=dict)  # serial_match
    note: str = ""

    def jpeg(self) -> bytes:
        return _encode(self.image, "JPEG", quality=95)


# --- fonts -------------------------------------------------------------------------------

_FONT_FILES = {
    "sans": ("DejaVuSans.ttf",),
    "sans_bold": ("DejaVuSans-Bold.ttf",),
    "serif": ("DejaVuSerif.ttf", "STIXGeneral.ttf"),
    "serif_bold": ("DejaVuSerif-Bold.ttf", "STIXGeneralBol.ttf"),
    "mono": ("DejaVuSansMono.ttf",),
    "mono_bold": ("DejaVuSansMono-Bold.ttf",),
    "oblique": ("DejaVuSans-Oblique.ttf",),
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
def _font(family: str, size: int, variant: int = 0) -> Font:
    """A TrueType font of that family, or Pillow's built-in one when matplotlib's are missing."""
    folder = _font_dir()
    if folder and family != "default":
        names = _FONT_FILES[family]
        path = os.path.join(folder, names[variant % len(names)])
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _families(rng: random.Random) -> tuple[str, str]:
    """A body and a heading family that go together."""
    return rng.choice(
        (("sans", "sans_bold"), ("serif", "serif_bold"), ("default", "sans_bold"), ("sans", "serif_bold"))
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


def printed_store(rng: random.Random, name: str) -> str:
    """The registered store name the way the shop prints it on its own paper."""
    words = name.split()
    if words[0] in {"Toko", "CV", "PT", "UD"} and rng.random() < 0.4:
        words = words[1:]
    elif words[0] in {"CV", "PT"} and rng.random() < 0.5:
        words[0] += "."
    text = " ".join(words)
    return text.upper() if rng.random() < 0.5 else text


def model_description(rng: random.Random, product: Product, name: str) -> str:
    """An invoice line naming a model, in one of the ways shops write it."""
    tokens = name.split()
    first_digit = next((i for i, token in enumerate(tokens) if any(c.isdigit() for c in token)), 0)
    series, core = " ".join(tokens[:first_digit]), " ".join(tokens[first_digit:])
    style = rng.randrange(6)
    if style == 0:
        text = f"{product.brand} {name}"
    elif style == 1:
        text = f"{product.category} {product.brand} {name} {product.spec}"
    elif style == 2 and series:
        text = f"{core} ({series})"
    elif style == 3:
        text = f"{product.brand} {series} {'-'.join(core.split())}".replace("  ", " ")
    elif style == 4:
        text = f"{name} - {rng.choice(('Black', 'Silver', 'Hitam', 'Putih'))}"
    else:
        text = f"{product.brand} {name} Garansi Resmi"
    return text.upper() if rng.random() < 0.4 else text


def _invoice_number(rng: random.Random, layout: str, date: dt.date) -> str:
    n = rng.randrange(1, 99999)
    if layout == "online":
        if rng.random() < 0.5:
            return f"INV/{date:%Y%m%d}/MPL/{rng.randrange(10**9, 10**10)}"
        tail = "".join(rng.choice("ABCDEFGHJKMNPQRSTUVWXYZ0123456789") for _ in range(6))
        return f"{date:%y%m%d}{tail}"
    if layout == "receipt":
        return rng.choice((f"NT-{date:%y%m%d}-{n % 10000:04d}", f"{date:%y%m%d}{n:05d}"))
    roman = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")[date.month - 1]
    return rng.choice(
        (f"INV/{date.year}/{date.month:02d}/{n:06d}", f"FJ-{date:%y%m}-{n:05d}", f"{n:05d}/SJ/{roman}/{date.year}")
    )


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
    draw.text((x0, y), store, font=_font(head_family, rng.randrange(36, 50)), fill=ink)
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
    title = rng.choice(("INVOICE", "FAKTUR PENJUALAN", "NOTA PENJUALAN")) if not english else "INVOICE"
    draw.text((width - 90, 95), title, font=_font(head_family, 40), fill=ink, anchor="ra")
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
        return _screenshot(rng, page)
    if layout == "receipt":
        return _photo(rng, page, surround=_surface(rng), margin=(0.08, 0.3), width=(900, 1500))
    if rng.random() < 0.6:
        return _photo(rng, page, surround=_surface(rng), width=(1150, 1600))
    return _photo(rng, page, surround=None)


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
    return _photo(rng, label, surround=surround, margin=(0.12, 0.5), width=(1000, 1600), strength=0.8)


# --- distortion -----------------------------------------------------------------------------


def _surface(rng: random.Random) -> tuple[int, int, int]:
    """What the paper lies on: a desk, a table cloth."""
    return rng.choice(((92, 64, 42), (150, 120, 90), (60, 60, 66), (200, 200, 196), (110, 40, 30)))


def _texture(rng: random.Random, image: Image.Image) -> Image.Image:
    """A surface's grain: coarse blotches, drawn at a quarter of the size and blown up."""
    small = (max(1, image.width // 4), max(1, image.height // 4))
    noise = np.random.default_rng(rng.getrandbits(32)).standard_normal((small[1], small[0]), np.float32) * 10 + 128
    grain = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8)).resize(image.size, Image.Resampling.BILINEAR)
    array = np.asarray(image, np.int16) + (np.asarray(grain, np.int16)[..., None] - 128)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 transform coefficients mapping output points ``dst`` back to input points ``src``."""
    matrix, vector = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        vector += [u, v]
    return np.linalg.solve(np.array(matrix, dtype=float), np.array(vector, dtype=float)).tolist()


def _photo(
    rng: random.Random,
    page: Image.Image,
    *,
    surround: tuple[int, int, int] | None,
    margin: tuple[float, float] = (0.05, 0.15),
    width: tuple[int, int] | None = None,
    strength: float = 1.0,
) -> Image.Image:
    """The page as a phone camera (on a ``surround``) or a cheap flatbed scanner (``surround=None``) sees it.

    ``width`` is the range of the final picture's width: phone photos arrive
    downscaled to the upload limit, so a small receipt ends up with large print.
    """
    angle = rng.uniform(-4, 4) * strength if surround is not None or rng.random() < 0.7 else 0.0
    if surround is not None:
        margin_x, margin_y = (int(page.width * rng.uniform(*margin)), int(page.height * rng.uniform(*margin)))
        canvas = _texture(rng, Image.new("RGB", (page.width + 2 * margin_x, page.height + 2 * margin_y), surround))
        canvas.paste(page, (margin_x, margin_y))
        scale = rng.uniform(*width) / canvas.width if width else rng.uniform(0.75, 1.1)
        # Turn, tilt and scale in one resampling: where each corner of the canvas lands in the photo.
        w, h = canvas.size
        out_w, out_h = int(w * scale), int(h * scale)
        turn, jitter = math.radians(angle), 0.02 * strength
        corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        landed = []
        for x, y in corners:
            dx, dy = x - w / 2, y - h / 2
            landed.append((
                (w / 2 + dx * math.cos(turn) + dy * math.sin(turn) + rng.uniform(-jitter, jitter) * w) * scale,
                (h / 2 - dx * math.sin(turn) + dy * math.cos(turn) + rng.uniform(-jitter, jitter) * h) * scale,
            ))  # fmt: skip
        coefficients = _perspective_coefficients(corners, landed)
        image = canvas.transform(
            (out_w, out_h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR, fillcolor=surround
        )
        depth = rng.uniform(0.0, 0.45)
    else:
        image = page.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor="white") if angle else page
        scale = rng.uniform(*width) / image.width if width else rng.uniform(0.65, 1.1)
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BILINEAR)
        depth = rng.uniform(0.0, 0.2)
    image = _shadow(rng, image, depth=depth)
    blur = rng.choice((0.0, 0.0, rng.uniform(0.3, 1.6)))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    sigma = rng.uniform(0, 9)
    if sigma > 2:
        image = _noisy(rng, image, sigma)
    return _jpeg_roundtrip(image, rng.randrange(35, 91))


def _noisy(rng: random.Random, image: Image.Image, sigma: float) -> Image.Image:
    """Sensor noise, the same in the three channels (it is brightness noise that upsets OCR)."""
    noise = np.random.default_rng(rng.getrandbits(32)).standard_normal((image.height, image.width, 1), np.float32)
    array = np.asarray(image, dtype=np.float32) + noise * sigma
    return Image.fromarray(np.clip(array, 0, 255, out=array).astype(np.uint8))


def _screenshot(rng: random.Random, page: Image.Image) -> Image.Image:
    """A screenshot sent through a chat app: rescaled and recompressed, never tilted."""
    scale = rng.uniform(0.7, 1.0)
    image = page.resize((int(page.width * scale), int(page.height * scale)), Image.Resampling.LANCZOS)
    return _jpeg_roundtrip(image, rng.randrange(35, 91))


def _shadow(rng: random.Random, image: Image.Image, *, depth: float) -> Image.Image:
    """A soft darkening from one side, as a hand or the phone casts over the paper."""
    if depth < 0.03:
        return image
    w, h = image.size
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    ramp = (np.cos(angle) * xs + np.sin(angle) * ys + 1.4) / 2.8  # 0..1 across the picture
    gain = 1 - depth * np.clip(ramp - rng.uniform(0.2, 0.6), 0, 1) / 0.6
    array = np.asarray(image, dtype=np.float32) * np.clip(gain, 0, 1)[..., None]
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    decoded = Image.open(io.BytesIO(_encode(image, "JPEG", quality=quality)))
    decoded.load()
    return decoded


# --- the measured set ------------------------------------------------------------------------


def _serial(rng: random.Random) -> str:
    """A serial in one of a few factory formats; each has some of the look-alike digits 0 1 5 8."""
    digits = "".join(rng.choice("0123456789") for _ in range(7))
    shape = rng.randrange(3)
    if shape == 0:
        return f"K{rng.randrange(21, 25)}{rng.randrange(1, 13):02d}N{digits}"
    if shape == 1:
        return f"{rng.choice('ACEHKMPRTUVWXY')}{rng.choice('ACEHKMPRTUVWXY')}{rng.randrange(100, 999)}B{digits}"
    return f"{rng.randrange(6, 9)}{rng.choice('ACEHKMNPRTUVWXY')}{rng.randrange(10, 99)}{digits}"


_LOOKALIKE_TYPING = {"0": "O", "1": "I", "5": "S", "8": "B", "O": "0", "I": "1", "S": "5", "B": "8"}
_DIFFERENT_CHARACTER = {c: d for c, d in zip("0123456789", "7904367290", strict=True)} | {
    c: d for c, d in zip("ACEHKMNPRTUVWXY", "HXAKEWYRFWCYKAT", strict=True)
}


def _typed_with_lookalikes(rng: random.Random, sn: str) -> str:
    """The serial as a member may have typed it: a 0 for an O, an I for a 1 …"""
    positions = [i for i, c in enumerate(sn) if c in _LOOKALIKE_TYPING]
    chars = list(sn)
    for i in rng.sample(positions, min(len(positions), rng.randrange(1, 3))):
        chars[i] = _LOOKALIKE_TYPING[chars[i]]
    return "".join(chars)


def _one_character_off(rng: random.Random, sn: str) -> str:
    """Another real serial: one character differs, and not by a look-alike."""
    i = rng.randrange(1, len(sn))
    return sn[:i] + _DIFFERENT_CHARACTER[sn[i]] + sn[i + 1 :]


def _balanced(rng: random.Random, count: int, kinds: list[tuple[str, float]]) -> list[str]:
    """``count`` labels in the given shares, shuffled: the set has its negatives however small it is."""
    labels: list[str] = []
    for kind, share in kinds:
        labels += [kind] * round(count * share)
    labels = (labels + [kinds[0][0]] * count)[:count]
    rng.shuffle(labels)
    return labels


def _window(rng: random.Random) -> tuple[dt.date, dt.date]:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
    return start, start + dt.timedelta(days=rng.randrange(30, 120))


def invoice_samples(rng: random.Random, count: int) -> list[InvoiceSample]:
    model_kinds = _balanced(rng, count, [("printed", 0.55), ("alias", 0.1), ("absent", 0.15), ("sibling", 0.2)])
    date_kinds = _balanced(rng, count, [("inside", 0.6), ("edge", 0.07), ("before", 0.17), ("after", 0.16)])
    store_kinds = _balanced(rng, count, [("same", 0.67), ("other", 0.33)])
    samples = []
    for i in range(count):
        layout = LAYOUTS[i % len(LAYOUTS)]
        product = rng.choice(PRODUCTS)
        stores = [s for s in STORES if s.online == (layout == "online")]
        claim_store = rng.choice(stores)
        store = claim_store
        if store_kinds[i] == "other":
            twin = next((s for s in stores if s.name == _TWINS.get(claim_store.name)), None)
            store = twin if twin and rng.random() < 0.5 else rng.choice([s for s in stores if s != claim_store])
        start, end = _window(rng)
        date = {
            "inside": lambda s=start, e=end: s + dt.timedelta(days=rng.randrange(1, (e - s).days)),
            "edge": lambda s=start, e=end: rng.choice((s, e)),
            "before": lambda s=start: s - dt.timedelta(days=rng.randrange(1, 60)),
            "after": lambda e=end: e + dt.timedelta(days=rng.randrange(1, 60)),
        }[date_kinds[i]]()
        model: str | None
        if model_kinds[i] == "printed":
            model = product.name
        elif model_kinds[i] == "alias" and product.aliases:
            model = rng.choice(product.aliases)
        elif model_kinds[i] == "sibling":
            model = rng.choice(product.siblings)
        elif model_kinds[i] == "alias":
            model = product.name
        else:
            model = None
        price = rng.randrange(25, 250) * 100_000
        lines: list[Line] = []
        if model is not None:
            description = (
                model_description(rng, product, model)
                if model not in product.aliases
                else (f"{model} {product.brand} {product.name.split()[0]}")
            )
            lines.append((description, 1, price))
        elif rng.random() < 0.5:
            other = rng.choice([p for p in PRODUCTS if p.category != product.category])
            lines.append((model_description(rng, other, other.name), 1, price))
        for accessory in rng.sample(ACCESSORIES, rng.randrange(0 if lines else 1, 3)):
            lines.insert(rng.randrange(len(lines) + 1), (accessory, rng.randrange(1, 3), rng.randrange(5, 80) * 10_000))
        shown_store = store.name if layout == "online" else printed_store(rng, store.name)
        number = _invoice_number(rng, layout, date)
        image = invoice_image(
            rng, store=shown_store, number=number, date=date, lines=lines, layout=layout, city=store.city
        )
        notes = [k for k in (model_kinds[i], date_kinds[i], store_kinds[i]) if k not in ("printed", "inside", "same")]
        samples.append(
            InvoiceSample(
                image=image,
                store=shown_store,
                number=number,
                date=date,
                model=model,
                layout=layout,
                claim_models=[product.name, *product.aliases],
                claim_store=claim_store.name,
                start=start,
                end=end,
                expected={
                    "model_found": model_kinds[i] in ("printed", "alias"),
                    "date_in_window": start <= date <= end,
                    "store_match": store == claim_store,
                },
                note=",".join(notes),
            )
        )
    return samples


def sticker_samples(rng: random.Random, count: int) -> list[StickerSample]:
    kinds = _balanced(
        rng, count, [("same", 0.45), ("lookalike", 0.22), ("other", 0.15), ("box", 0.1), ("box_other", 0.08)]
    )
    samples = []
    for kind in kinds:
        product = rng.choice(PRODUCTS)
        sn = _serial(rng)
        registered = {"same": sn, "lookalike": _typed_with_lookalikes(rng, sn)}.get(kind, sn)
        printed: str | None = sn
        if kind in ("other", "box_other"):
            printed = _one_character_off(rng, sn) if kind == "other" else _serial(rng)
        elif kind == "box":
            printed = None
        chk = f"{rng.randrange(1000):03d}" if kind in ("same", "lookalike", "other") else None
        label_kind = "box" if kind.startswith("box") else "device"
        image = sticker_image(
            rng,
            sn=printed,
            chk=chk,
            model_code=product.code,
            kind=label_kind,
            brand=product.brand,
            model_name=f"{product.brand} {product.name}",
        )
        samples.append(
            StickerSample(
                image=image,
                sn=printed,
                chk=chk,
                model_code=product.code,
                kind=label_kind,
                registered_sn=registered,
                expected={"serial_match": kind in ("same", "lookalike")},
                note="" if kind == "same" else kind,
            )
        )
    return samples


def sample_set(
    seed: int = 5, invoices: int = 60, stickers: int = 30
) -> tuple[list[InvoiceSample], list[StickerSample]]:
    """The measured set: a third or so of each check's answers are "no"."""
    rng = random.Random(seed)
    return invoice_samples(rng, invoices), sticker_samples(rng, stickers)
