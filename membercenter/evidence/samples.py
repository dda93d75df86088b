"""Synthetic invoices and serial-sticker photos with their ground truth.

The evidence checks are measured on these (bench/bench_evidence.py), the tests
read a few, and the demo data uses them as uploads. Everything is drawn from the
``random.Random`` given, so a seed gives the same pictures on every machine that
has the same fonts (matplotlib's DejaVu and STIX when installed, else Pillow's own).

Brands, products and stores are invented; the products come in families of
near-identical names ("Vista AX242 12M" / "Vista AX242 8M") because telling those
apart is what the model check must get right. The drawing is in
``sample_drawing`` (layouts, labels, fonts) and ``sample_camera`` (tilt, shadow,
blur, noise, JPEG).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from PIL import Image

from membercenter.evidence.sample_camera import encode
from membercenter.evidence.sample_drawing import DATE_STYLES, LAYOUTS, Line, format_date, invoice_image, sticker_image

__all__ = [
    "DATE_STYLES",
    "LAYOUTS",
    "PRODUCTS",
    "STORES",
    "InvoiceSample",
    "Product",
    "StickerSample",
    "Store",
    "format_date",
    "invoice_image",
    "invoice_samples",
    "model_description",
    "printed_store",
    "sample_set",
    "sticker_image",
    "sticker_samples",
]


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
        return encode(self.image, "JPEG", quality=95)


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
        return encode(self.image, "JPEG", quality=95)


# --- what is printed ----------------------------------------------------------------------


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
    i = rng.choice([i for i, c in enumerate(sn) if c in _DIFFERENT_CHARACTER])
    return sn[:i] + _DIFFERENT_CHARACTER[sn[i]] + sn[i + 1 :]


def _balanced(rng: random.Random, count: int, kinds: list[tuple[str, float]]) -> list[str]:
    """``count`` labels in the given shares, shuffled: the set has its negatives however small it is."""
    labels: list[str] = []
    for kind, share in kinds:
        labels += [kind] * round(count * share)
    labels = (labels + [kinds[0][0]] * count)[:count]
    rng.shuffle(labels)
    return labels


def _date_of_kind(kind: str, start: dt.date, end: dt.date, rng: random.Random) -> dt.date:
    """An invoice date inside the window, on its edge, or days before or after it."""
    if kind == "inside":
        return start + dt.timedelta(days=rng.randrange(1, (end - start).days))
    if kind == "edge":
        return rng.choice((start, end))
    if kind == "before":
        return start - dt.timedelta(days=rng.randrange(1, 60))
    if kind == "after":
        return end + dt.timedelta(days=rng.randrange(1, 60))
    raise KeyError(kind)


def _window(rng: random.Random) -> tuple[dt.date, dt.date]:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
    return start, start + dt.timedelta(days=rng.randrange(30, 120))


def invoice_samples(rng: random.Random, count: int) -> list[InvoiceSample]:
    """Invoices in turn of each layout; per check about a third are negatives, of the hard kinds.

    Model: the invoice names a sibling ("8M" for "12M") or no model of the family.
    Date: before the window or after it (and some on its first or last day, which count).
    Store: another shop, half of the time one with nearly the same name.
    """
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
        date = _date_of_kind(date_kinds[i], start, end, rng)
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
            if model in product.aliases:  # the shop's system prints the SKU
                description = f"{model} {product.brand} {product.name.split()[0]}"
            else:
                description = model_description(rng, product, model)
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
    """Device labels with the registered serial (some registered with look-alikes typed), and negatives:
    another serial one character off, and carton labels without a serial or with another one."""
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
