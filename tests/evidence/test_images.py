"""The upload pipeline for invoice pictures and PDFs: what is accepted, what is refused, what is stored."""

from __future__ import annotations

import io
import random
import re
import struct
import threading
import time
import zipfile
import zlib

import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from PIL import Image, ImageCms, ImageDraw, ImageFile, ImageFont, WebPImagePlugin
from PIL.PngImagePlugin import PngInfo
from pillow_heif.as_plugin import _LibHeifImageFile

from membercenter.evidence.images import (
    ACCEPT,
    CleanImage,
    UploadRejected,
    evidence_clean,
    image_sanitize,
    phash_bands,
    phash_distance,
    phash_of,
)
from tests.factories import image_bytes

NOT_A_PICTURE = "not a picture (JPG, PNG, GIF, WebP, HEIC) or a PDF"
WEB_PAGE_CODE = "contains web page code"
DAMAGED = "could not be read; it may be damaged"
TOO_MANY_PIXELS = "too large (more than"
TOO_MANY_BYTES = "the largest we accept is"
# The largest distance measured between an invoice and itself re-saved as JPEG
# quality 60 and cropped by 3% (see test_near_duplicates_stay_close).
NEAR_DUPLICATE = 12

ORIENTATION = 0x0112
GPS_IFD = 0x8825
# The JFIF header every JPEG Pillow writes carries; nothing else may be in `info`.
JFIF_ONLY = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}


# --- making uploads ---------------------------------------------------------


def upload(data: bytes, name: str = "invoice.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def encoded(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def stored(clean: CleanImage) -> tuple[bytes, Image.Image]:
    clean.content.seek(0)
    data = clean.content.read()
    return data, Image.open(io.BytesIO(data))


def refusal(data: bytes, **kwargs: str) -> str:
    with pytest.raises(UploadRejected) as caught:
        evidence_clean(upload(data, **kwargs))
    return str(caught.value)


def marked(size: tuple[int, int] = (200, 100)) -> Image.Image:
    """White, with a red square in the top-left corner, to see which way a picture was turned."""
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, 20, 20))
    return image


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Random pixels: compresses like a real photo, so it stands in for one."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    exif[GPS_IFD] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 40.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def is_red(pixel: tuple[int, int, int]) -> bool:
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


def invoice(seed: int, *, lines: int | None = None, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """An invoice-like page (A4 at 150 dpi): a store header, item lines, a total and a stamp."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    big, font = ImageFont.load_default(size=48), ImageFont.load_default(size=26)
    store = rnd.choice(["TOKO ELEKTRONIK JAYA", "PT SINAR ABADI", "CV MAJU BERSAMA", "GRAHA KOMPUTER"])
    draw.text((80, 80), store, fill="black", font=big)
    draw.text((80, 150), f"Jl. Sudirman No. {rnd.randint(1, 200)}, Jakarta", fill="black", font=font)
    draw.text((80, 230), f"INVOICE No. INV-{rnd.randint(10000, 99999)}   Tanggal: 12/06/2024", fill="black", font=font)
    draw.line((80, 290, 1160, 290), fill="black", width=3)
    y = 320
    for number in range(1, (lines or rnd.randint(3, 12)) + 1):
        item = rnd.choice(["Monitor", "Keyboard", "Mouse", "Laptop", "Printer", "Router", "SSD", "Headset"])
        draw.text((80, y), f"{number}. {item} {rnd.randint(100, 999)}", fill="black", font=font)
        draw.text((900, y), f"Rp {rnd.randint(50, 9000)}.000", fill="black", font=font)
        y += 50
    draw.line((80, y + 10, 1160, y + 10), fill="black", width=2)
    draw.text((700, y + 30), f"TOTAL  Rp {rnd.randint(1000, 50000)}.000", fill="black", font=big)
    draw.rectangle((850, 1450, 1150, 1600), outline=(30, 60, 200), width=4)
    draw.text((880, 1500), "LUNAS", fill=(30, 60, 200), font=big)
    return image


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def gif_declaring(width: int, height: int) -> bytes:
    """A tiny GIF whose logical screen claims width×height pixels."""
    data = bytearray(image_bytes("GIF", size=(10, 10)))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """A tiny animated WebP whose canvas claims width×height pixels (frames may be smaller than the canvas)."""
    frames = [Image.new("RGB", (10, 10), "red"), Image.new("RGB", (10, 10), "blue")]
    data = bytearray(encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:]))
    assert data[12:16] == b"VP8X"
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header claims width×height pixels."""
    data = bytearray(image_bytes("JPEG", size=(10, 10)))
    start = data.index(b"\xff\xc0")
    data[start + 5 : start + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf_of(*pages: Image.Image, resolution: float = 150.0) -> bytes:
    """A PDF with one picture per page (Pillow's PDF writer)."""
    return encoded(pages[0], "PDF", save_all=True, append_images=list(pages[1:]), resolution=resolution)


def handmade_pdf(
    mediabox: str = "0 0 595 842", *, rotate: int = 0, catalog: bytes = b"", trailer: bytes = b""
) -> bytes:
    """A one-page PDF with a blue bar at the bottom left, written out by hand to control its every part."""
    content = b"0 0 1 rg 0 0 200 50 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Rotate %d /Contents 4 0 R >>" % (mediabox.encode(), rotate),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref))
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """A PDF locked with a user password (standard security handler): it cannot be opened without it."""
    keys = b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b">"
    return handmade_pdf(
        trailer=b"/Encrypt << /Filter /Standard /V 1 /R 2 "
        + keys
        + b" /P -4 >> /ID [<"
        + b"33" * 16
        + b"> <"
        + b"33" * 16
        + b">] "
    )


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any picture's pixels are decoded: limits must be checked from the header."""

    def decoded(self: Image.Image) -> None:
        raise AssertionError(f"{self.format} pixels were decoded")

    for cls in (ImageFile.ImageFile, WebPImagePlugin.WebPImageFile, _LibHeifImageFile):
        monkeypatch.setattr(cls, "load", decoded)


# --- what is accepted -------------------------------------------------------


def test_accept_lists_every_format_for_the_file_picker():
    assert ACCEPT == "image/jpeg,image/png,image/gif,image/webp,image/heic,image/heif,.heic,.heif,application/pdf,.pdf"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "HEIF", "PDF"])
def test_every_accepted_format_becomes_a_clean_jpeg(fmt):
    picture = marked((300, 200))
    data = pdf_of(picture, resolution=72.0) if fmt == "PDF" else encoded(picture, fmt)

    clean = evidence_clean(upload(data))

    raw, image = stored(clean)
    assert image.format == "JPEG"
    assert raw.startswith(b"\xff\xd8\xff")
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", clean.content.name)
    assert (clean.width, clean.height) == image.size
    assert re.fullmatch(r"[0-9a-f]{16}", clean.phash)
    if fmt != "PDF":  # a PDF page is rendered at its own scale
        assert image.size == (300, 200)
    assert is_red(image.getpixel((5, 5)))
    assert image.getpixel((image.width - 5, image.height - 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (image_bytes("PNG"), "scan.pdf", "application/pdf"),
        (image_bytes("JPEG"), "photo.heic", "image/heic"),
        (pdf_of(Image.new("RGB", (100, 100), "white")), "invoice.jpg", "image/jpeg"),
        (image_bytes("WEBP"), "invoice", "application/octet-stream"),
    ],
    ids=["png-named-pdf", "jpeg-named-heic", "pdf-named-jpg", "webp-without-extension"],
)
def test_the_bytes_decide_the_format_not_the_name_or_content_type(data, name, content_type):
    clean = evidence_clean(upload(data, name=name, content_type=content_type))
    assert stored(clean)[1].format == "JPEG"


def test_the_file_name_gets_the_prefix():
    clean = evidence_clean(upload(image_bytes("JPEG")), prefix="banner-")
    assert re.fullmatch(r"banner-[0-9a-f]{32}\.jpg", clean.content.name)


def test_image_sanitize_returns_the_clean_jpeg():
    content = image_sanitize(upload(image_bytes("PNG", size=(2000, 1000))), prefix="banner-")
    assert content.name.startswith("banner-") and content.name.endswith(".jpg")
    image = Image.open(io.BytesIO(content.read()))
    assert (image.format, image.size) == ("JPEG", (1600, 800))


def test_a_wide_picture_is_scaled_to_the_width_limit(settings):
    settings.UPLOAD_MAX_WIDTH = 1600
    clean = evidence_clean(upload(image_bytes("JPEG", size=(4000, 3000))))
    assert (clean.width, clean.height) == (1600, 1200)


def test_a_small_picture_is_not_enlarged():
    clean = evidence_clean(upload(image_bytes("JPEG", size=(640, 480))))
    assert (clean.width, clean.height) == (640, 480)


def test_a_very_long_receipt_fits_what_jpeg_can_store():
    # JPEG cannot hold a side over 65,535 pixels; the receipt is scaled down whole.
    clean = evidence_clean(upload(image_bytes("PNG", size=(200, 70_000))))
    assert clean.height <= 65_500 and clean.width <= 200
    assert abs(clean.height / clean.width - 350) < 2


def test_transparency_becomes_white():
    picture = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    picture.paste((0, 0, 0, 255), (0, 0, 10, 10))
    image = stored(evidence_clean(upload(encoded(picture, "PNG"))))[1]
    assert image.getpixel((40, 40)) == (255, 255, 255)
    assert image.getpixel((2, 2)) == (0, 0, 0)


def test_a_16_bit_grey_scan_keeps_its_grey():
    picture = Image.new("I;16", (50, 50), 40_000)  # 61% of full scale
    red, green, blue = stored(evidence_clean(upload(encoded(picture, "PNG"))))[1].getpixel((25, 25))
    assert 150 <= red <= 160 and red == green == blue


def test_a_cmyk_jpeg_is_accepted():
    picture = Image.new("CMYK", (50, 50), (0, 255, 255, 0))  # red in print colours
    assert is_red(stored(evidence_clean(upload(encoded(picture, "JPEG"))))[1].getpixel((25, 25)))


def test_an_animated_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (40, 40), "red"), Image.new("RGB", (40, 40), "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert is_red(stored(evidence_clean(upload(data)))[1].getpixel((20, 20)))


def test_a_noisy_photo_is_not_mistaken_for_web_page_code():
    # Compressed photo data is close to random: the markup scan must not refuse it.
    data = encoded(noise((2000, 1500)), "JPEG", quality=95)
    assert len(data) > 3_000_000
    assert evidence_clean(upload(data)).width == 1600


# --- file size --------------------------------------------------------------


def test_a_file_exactly_at_the_size_limit_is_accepted(settings):
    data = image_bytes("JPEG")
    settings.UPLOAD_MAX_BYTES = len(data)
    assert evidence_clean(upload(data)).width == 800


def test_a_file_one_byte_over_the_size_limit_is_refused(settings):
    data = image_bytes("JPEG")
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    assert TOO_MANY_BYTES in refusal(data)


def test_the_size_limit_holds_when_the_declared_size_is_wrong(settings):
    data = image_bytes("JPEG")
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    lying = InMemoryUploadedFile(io.BytesIO(data), "invoice", "invoice.jpg", "image/jpeg", size=10, charset=None)
    with pytest.raises(UploadRejected, match=TOO_MANY_BYTES):
        evidence_clean(lying)


# --- hostile and broken uploads ---------------------------------------------


def test_a_gif_with_a_web_page_in_its_comment_is_refused():
    markup = b"<html><body><script>alert(document.cookie)</script></body></html>"
    data = encoded(Image.new("P", (10, 10)), "GIF", comment=markup)
    assert Image.open(io.BytesIO(data)).format == "GIF"  # a valid picture, and a web page too
    assert WEB_PAGE_CODE in refusal(data, name="invoice.gif", content_type="image/gif")


def test_a_gif_with_a_script_after_its_end_is_refused():
    data = image_bytes("GIF", size=(10, 10)) + b"<script>alert(1)</script>"
    assert WEB_PAGE_CODE in refusal(data, name="invoice.gif", content_type="image/gif")


def png_with_text(key: str, value: str) -> bytes:
    text = PngInfo()
    text.add_text(key, value)
    return encoded(Image.new("RGB", (10, 10)), "PNG", pnginfo=text)


MARKUP = {
    "php-in-jpeg-comment": encoded(Image.new("RGB", (10, 10)), "JPEG", comment=b"<?php system($_GET['c']); ?>"),
    "javascript-in-png-text": png_with_text("Link", "JaVaScRiPt:alert(1)"),
    "svg-in-webp-xmp": encoded(
        Image.new("RGB", (10, 10)), "WEBP", xmp=b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    ),
    "iframe-after-png": image_bytes("PNG", size=(10, 10)) + b"<IFRAME src=//evil.example>",
    "javascript-pdf-link": handmade_pdf(catalog=b"/OpenAction << /S /URI /URI (javascript:alert(1)) >> "),
}


@pytest.mark.parametrize("data", MARKUP.values(), ids=MARKUP.keys())
def test_markup_hidden_in_any_accepted_format_is_refused(data):
    assert WEB_PAGE_CODE in refusal(data)


NOT_PICTURES = {
    "exe": b"MZ\x90\x00" + bytes(4000),
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    "svg-with-script": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!DOCTYPE html><html><body>invoice</body></html>",
    "text": b"Invoice INV-1234, total Rp 1.500.000",
    "tiff": encoded(Image.new("RGB", (10, 10)), "TIFF"),
    "bmp": encoded(Image.new("RGB", (10, 10)), "BMP"),
}


@pytest.mark.parametrize("data", NOT_PICTURES.values(), ids=NOT_PICTURES.keys())
def test_what_is_not_a_picture_or_pdf_is_refused(data):
    assert NOT_A_PICTURE in refusal(data, name="invoice.jpg", content_type="image/jpeg")


def test_an_empty_file_is_refused():
    assert refusal(b"") == "The submitted file is empty."


def zip_of_pictures(compression: int) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression) as zipped:
        zipped.writestr("invoice.jpg", image_bytes("JPEG"))
        zipped.writestr("invoice.pdf", pdf_of(Image.new("RGB", (10, 10))))
    return archive.getvalue()


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_zip_renamed_jpg_is_refused(compression):
    assert NOT_A_PICTURE in refusal(zip_of_pictures(compression), name="invoice.jpg", content_type="image/jpeg")


def truncated(fmt: str) -> bytes:
    data = encoded(noise((600, 400)), fmt)
    return data[: len(data) // 2]


TRUNCATED_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "HEIF"]


@pytest.mark.parametrize("fmt", TRUNCATED_FORMATS)
def test_a_truncated_picture_is_refused_as_damaged(fmt):
    assert DAMAGED in refusal(truncated(fmt))


def test_a_jpeg_cut_after_its_header_is_refused_as_damaged():
    assert DAMAGED in refusal(image_bytes("JPEG")[:300])


BOMBS = {
    "png-900MP": png_declaring(30_000, 30_000),
    "png-49MP": png_declaring(7_000, 7_000),
    "gif-900MP": gif_declaring(30_000, 30_000),
    "gif-49MP": gif_declaring(7_000, 7_000),
    "webp-256MP": webp_declaring(16_000, 16_000),
    "webp-49MP": webp_declaring(7_000, 7_000),
    "jpeg-3600MP": jpeg_declaring(60_000, 60_000),
    "jpeg-49MP": jpeg_declaring(7_000, 7_000),
}


@pytest.mark.parametrize("data", BOMBS.values(), ids=BOMBS.keys())
def test_a_decompression_bomb_is_refused_before_decoding(no_decoding, data, settings):
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    assert "too large (more than 40 megapixels)" in refusal(data)


def test_a_heic_over_the_pixel_limit_is_refused_before_decoding(settings):
    data = encoded(Image.new("RGB", (200, 100)), "HEIF")
    settings.UPLOAD_MAX_PIXELS = 10_000
    assert TOO_MANY_PIXELS in refusal(data)


def test_a_picture_at_the_pixel_limit_is_accepted(settings):
    settings.UPLOAD_MAX_PIXELS = 200 * 100
    assert evidence_clean(upload(image_bytes("PNG", size=(200, 100)))).width == 200


# --- no metadata survives ---------------------------------------------------


def assert_bare(clean: CleanImage) -> None:
    raw, image = stored(clean)
    assert len(image.getexif()) == 0
    assert set(image.info) <= JFIF_ONLY, set(image.info) - JFIF_ONLY
    assert b"Exif\x00\x00" not in raw
    assert b"PhoneMaker" not in raw
    assert b"ns.adobe.com" not in raw


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://ns.adobe.com/"/></x:xmpmeta>'


def test_a_jpeg_loses_gps_exif_xmp_icc_and_comments():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(marked(), "JPEG", exif=gps_exif(), xmp=XMP, icc_profile=srgb, comment=b"shot at home")
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(GPS_IFD) and {"xmp", "icc_profile", "comment"} <= set(source.info)
    clean = evidence_clean(upload(data))
    assert_bare(clean)
    assert b"shot at home" not in stored(clean)[0]


def test_a_webp_loses_its_exif_and_xmp():
    data = encoded(marked(), "WEBP", exif=gps_exif(), xmp=XMP)
    assert {"exif", "xmp"} <= set(Image.open(io.BytesIO(data)).info)
    assert_bare(evidence_clean(upload(data, name="a.webp", content_type="image/webp")))


def test_a_png_loses_its_exif_chunk_and_text_chunks():
    text = PngInfo()
    text.add_text("Comment", "GPS 6.1754 S 106.8272 E PhoneMaker")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = encoded(marked(), "PNG", exif=gps_exif(), pnginfo=text)
    assert b"eXIf" in data and b"tEXt" in data
    clean = evidence_clean(upload(data))
    assert_bare(clean)
    assert b"106.8272" not in stored(clean)[0]


def test_a_heic_loses_its_exif():
    data = encoded(marked(), "HEIF", exif=gps_exif())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    assert_bare(evidence_clean(upload(data, name="IMG_0001.HEIC", content_type="image/heic")))


def test_a_gif_loses_its_comment():
    data = encoded(Image.new("P", (10, 10)), "GIF", comment=b"PhoneMaker was here")
    assert_bare(evidence_clean(upload(data)))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_exif_orientation_is_applied_once(fmt):
    # Orientation 6: a 200×100 picture meant to be shown turned a quarter clockwise.
    # pillow-heif writes a HEIC the way phones do, with the turn in the container (irot)
    # and orientation 6 in its EXIF too: turning it twice would show here.
    data = encoded(marked((200, 100)), fmt, exif=gps_exif(orientation=6).tobytes())
    if fmt == "HEIF":
        assert b"irot" in data
    clean = evidence_clean(upload(data))
    image = stored(clean)[1]
    assert (clean.width, clean.height) == image.size == (100, 200)
    assert is_red(image.getpixel((95, 5)))  # the top-left corner went to the top right
    assert image.getpixel((5, 5)) == (255, 255, 255)


def test_a_heic_follows_its_container_not_its_exif_orientation():
    # HEIF makes the container's transforms the rule and the EXIF orientation only a
    # note; pillow-heif (and libheif's viewers) ignore the tag, so a HEIC turned only by
    # its EXIF stays as it is stored.
    data = encoded(marked((200, 100)), "HEIF", exif=gps_exif(orientation=6))  # an Exif object: no irot
    assert b"irot" not in data
    clean = evidence_clean(upload(data))
    assert (clean.width, clean.height) == (200, 100)
    assert is_red(stored(clean)[1].getpixel((5, 5)))


# --- PDF --------------------------------------------------------------------


def test_a_pdf_invoice_is_rendered_at_the_width_limit():
    clean = evidence_clean(upload(pdf_of(invoice(1)), name="invoice.pdf", content_type="application/pdf"))
    image = stored(clean)[1]
    assert clean.width == 1600
    assert abs(clean.height / clean.width - 1754 / 1240) < 0.01
    assert image.convert("L").getextrema()[0] < 60  # the text is there


def test_a_500_page_pdf_renders_only_its_first_page(monkeypatch):
    first = Image.new("RGB", (85, 110), (20, 20, 20))
    rest = [Image.new("RGB", (85, 110), "white")] * 499
    data = pdf_of(first, *rest, resolution=10.0)
    assert len(pdfium.PdfDocument(data)) == 500
    loaded = []
    get_page = pdfium.PdfDocument.get_page
    monkeypatch.setattr(pdfium.PdfDocument, "get_page", lambda pdf, index: loaded.append(index) or get_page(pdf, index))

    started = time.monotonic()
    clean = evidence_clean(upload(data, name="invoice.pdf", content_type="application/pdf"))

    assert time.monotonic() - started < 2
    assert loaded == [0]
    image = stored(clean)[1]
    assert image.convert("L").getpixel((clean.width // 2, clean.height // 2)) < 40  # page 1 is the dark one


def test_a_password_protected_pdf_is_refused():
    assert "protected with a password" in refusal(encrypted_pdf(), name="invoice.pdf")


BROKEN_PDFS = {
    "garbage": b"%PDF-1.4\n" + b"garbage " * 200,
    "truncated": handmade_pdf()[:250],
    "no-pages": b"%PDF-1.7\n%%EOF\n",
}


@pytest.mark.parametrize("data", BROKEN_PDFS.values(), ids=BROKEN_PDFS.keys())
def test_a_broken_pdf_is_refused_as_damaged(data):
    assert "This PDF could not be read; it may be damaged" in refusal(data, name="invoice.pdf")


def hostile_uploads() -> list[tuple[str, object, dict[str, int]]]:
    """Every hostile or broken file of this module: (id, the uploaded file, the settings it is tried with)."""
    lying_data = image_bytes("JPEG")
    cases: list[tuple[str, object, dict[str, int]]] = [
        *((f"markup/{k}", upload(v), {}) for k, v in MARKUP.items()),
        *((f"not-a-picture/{k}", upload(v), {}) for k, v in NOT_PICTURES.items()),
        *((f"bomb/{k}", upload(v), {"UPLOAD_MAX_PIXELS": 40_000_000}) for k, v in BOMBS.items()),
        *((f"broken-pdf/{k}", upload(v, name="invoice.pdf"), {}) for k, v in BROKEN_PDFS.items()),
        *((f"truncated/{fmt}", upload(truncated(fmt)), {}) for fmt in TRUNCATED_FORMATS),
        *((f"zip/{c}", upload(zip_of_pictures(c)), {}) for c in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)),
        ("empty", upload(b""), {}),
        ("jpeg-cut-after-header", upload(image_bytes("JPEG")[:300]), {}),
        (
            "gif-web-page-in-comment",
            upload(
                encoded(Image.new("P", (10, 10)), "GIF", comment=b"<html><script>alert(1)</script></html>"),
                name="invoice.gif",
                content_type="image/gif",
            ),
            {},
        ),
        ("gif-script-after-end", upload(image_bytes("GIF", size=(10, 10)) + b"<script>alert(1)</script>"), {}),
        ("heic-over-pixel-limit", upload(encoded(Image.new("RGB", (200, 100)), "HEIF")), {"UPLOAD_MAX_PIXELS": 10_000}),
        ("pdf-with-password", upload(encrypted_pdf(), name="invoice.pdf"), {}),
        ("one-byte-over-size", upload(lying_data), {"UPLOAD_MAX_BYTES": len(lying_data) - 1}),
        (
            "size-declared-wrong",
            InMemoryUploadedFile(io.BytesIO(lying_data), "invoice", "invoice.jpg", "image/jpeg", size=10, charset=None),
            {"UPLOAD_MAX_BYTES": len(lying_data) - 1},
        ),
    ]
    return cases


@pytest.mark.django_db
def test_every_hostile_upload_is_refused_by_the_upload_service_without_a_server_error(settings, scorecard):
    """Each hostile file above, through `upload_store` (what every upload form calls): refused with a message."""
    from membercenter.evidence.models import Scan, Upload
    from membercenter.evidence.services import upload_store
    from tests.factories import UserFactory

    member = UserFactory()
    cases = hostile_uploads()
    accepted, server_errors, messages = [], [], set()
    defaults = {name: getattr(settings, name) for name in ("UPLOAD_MAX_PIXELS", "UPLOAD_MAX_BYTES")}
    for case_id, file, overrides in cases:
        for name, value in {**defaults, **overrides}.items():
            setattr(settings, name, value)
        try:
            upload_store(owner=member, kind=Upload.Kind.INVOICE, upload=file)
        except UploadRejected as err:
            messages.add(str(err))
        except Exception as err:  # noqa: BLE001 — a server error is what this test counts
            server_errors.append((case_id, repr(err)))
        else:
            accepted.append(case_id)

    scorecard.record("uploads.hostile_tried", len(cases))
    scorecard.record("uploads.hostile_accepted", len(accepted))
    scorecard.record("uploads.server_errors", len(server_errors))
    assert len({case_id for case_id, _, _ in cases}) == len(cases) >= 35
    assert not accepted, accepted
    assert not server_errors, server_errors
    assert all(messages) and not Upload.objects.exists() and not Scan.objects.exists()


@pytest.mark.parametrize(
    "mediabox",
    ["0 0 1000000 1000000", "0 0 14400 14400", "0 0 10 200000", "0 0 100000 10", "0 0 595 842", "0 0 1 1"],
    ids=["huge-square", "largest-standard", "very-tall", "very-wide", "a4", "one-point"],
)
@pytest.mark.parametrize("max_pixels", [40_000_000, 100_000])
def test_any_pdf_page_size_renders_within_the_limits(settings, monkeypatch, mediabox, max_pixels):
    settings.UPLOAD_MAX_PIXELS = max_pixels
    rendered = []
    render = pdfium.PdfPage.render

    def spy(page, **kwargs):
        bitmap = render(page, **kwargs)
        rendered.append((bitmap.width, bitmap.height))
        return bitmap

    monkeypatch.setattr(pdfium.PdfPage, "render", spy)
    clean = evidence_clean(upload(handmade_pdf(mediabox), name="invoice.pdf"))
    [(width, height)] = rendered
    assert 1 <= width <= 1600 and 1 <= height <= 65_500
    assert width * height <= max_pixels
    assert (clean.width, clean.height) == (width, height)


def test_a_pdf_page_turned_by_its_rotate_entry_comes_out_landscape():
    clean = evidence_clean(upload(handmade_pdf("0 0 595 842", rotate=90), name="invoice.pdf"))
    assert clean.width == 1600 and clean.height < clean.width


def test_pdfium_is_never_entered_by_two_threads_at_once(monkeypatch):
    # PDFium is not thread-safe; web and worker threads clean PDFs side by side.
    data = pdf_of(invoice(2))
    inside, most_inside = [0], [0]
    render = pdfium.PdfPage.render

    def slow_render(page, **kwargs):
        inside[0] += 1
        most_inside[0] = max(most_inside[0], inside[0])
        time.sleep(0.05)  # long enough for another thread to come in, if it could
        try:
            return render(page, **kwargs)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(pdfium.PdfPage, "render", slow_render)
    results: list[CleanImage] = []
    threads = [threading.Thread(target=lambda: results.append(evidence_clean(upload(data)))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most_inside[0] == 1
    assert len(results) == 4 and len({result.phash for result in results}) == 1


# --- perceptual hash --------------------------------------------------------


def test_phash_is_16_lowercase_hex_characters():
    assert re.fullmatch(r"[0-9a-f]{16}", phash_of(invoice(3)))


def test_the_stored_hash_is_the_hash_of_the_stored_picture():
    clean = evidence_clean(upload(encoded(invoice(4), "PNG")))
    assert phash_distance(clean.phash, phash_of(stored(clean)[1])) <= 2


def test_phash_distance_counts_differing_bits():
    assert phash_distance("0000000000000000", "ffffffffffffffff") == 64
    assert phash_distance("8f3a000000000001", "8f3a000000000001") == 0
    assert phash_distance("8f3a000000000001", "8f3a000000000000") == 1
    assert phash_distance("8F3A000000000001", "0f3a000000000000") == 2


def test_phash_bands_cut_the_hash_in_four_16_bit_numbers():
    assert phash_bands("0123456789abcdef") == (0x0123, 0x4567, 0x89AB, 0xCDEF)
    assert phash_bands("ffffffffffffffff") == (65535, 65535, 65535, 65535)
    assert phash_bands("0000000000000000") == (0, 0, 0, 0)


def test_hashes_at_most_3_bits_apart_share_a_band():
    rnd = random.Random(5)
    for _ in range(500):
        value = rnd.getrandbits(64)
        other = value
        for bit in rnd.sample(range(64), 3):
            other ^= 1 << bit
        a, b = f"{value:016x}", f"{other:016x}"
        assert phash_distance(a, b) == 3
        assert any(x == y for x, y in zip(phash_bands(a), phash_bands(b), strict=True))


@pytest.mark.parametrize("bad", ["", "abc", "0123456789abcdef0", "0123456789abcdeg"])
def test_a_malformed_hash_is_an_error(bad):
    with pytest.raises(ValueError):
        phash_distance(bad, "0000000000000000")
    with pytest.raises(ValueError):
        phash_bands(bad)


def variants(image: Image.Image) -> dict[str, Image.Image]:
    """The same invoice re-saved: whole, and cropped by 3% in the ways a re-photographed or edited copy is."""
    width, height = image.size
    dx, dy = round(width * 0.03), round(height * 0.03)
    return {
        "whole": image,
        "right+bottom": image.crop((0, 0, width - dx, height - dy)),
        "left+top": image.crop((dx, dy, width, height)),
        "all sides": image.crop((dx // 2, dy // 2, width - dx // 2, height - dy // 2)),
        "right": image.crop((0, 0, width - dx, height)),
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_near_duplicates_stay_close(seed):
    original = evidence_clean(upload(encoded(invoice(seed), "JPEG", quality=92)))
    distances = {}
    for name, variant in variants(stored(original)[1]).items():
        copy = evidence_clean(upload(encoded(variant, "JPEG", quality=60)))
        distances[name] = phash_distance(original.phash, copy.phash)
    assert distances["whole"] <= 2
    assert max(distances.values()) <= NEAR_DUPLICATE, distances


def test_invoices_of_different_length_are_far_apart():
    short, long = (evidence_clean(upload(encoded(invoice(7, lines=lines), "PNG"))) for lines in (3, 12))
    assert phash_distance(short.phash, long.phash) > NEAR_DUPLICATE


def test_phash_sees_layout_not_text():
    # Two different invoices on one template (other store, numbers, items; same number of
    # lines) hash almost alike: a close hash says "same layout", not "same invoice".
    a, b = (evidence_clean(upload(encoded(invoice(seed, lines=6), "PNG"))) for seed in (8, 9))
    assert phash_distance(a.phash, b.phash) <= 4
