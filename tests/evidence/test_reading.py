"""Reading invoices and stickers from OCR boxes: the parsers and the matching, without OCR."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from membercenter.evidence.ocr import TextBox
from membercenter.evidence.reading import (
    clean_invoice_number,
    date_in_window,
    dates_in,
    invoice_read,
    model_matches,
    serial_matches,
    sticker_read,
    store_matches,
    text_lines,
)


def row(*texts: str, y: int, x: int = 40, angle: float = 0.0, height: int = 30, gap: int = 40) -> list[TextBox]:
    """Boxes printed left to right on one line, tilted by ``angle`` degrees as on a photo taken at a slant."""
    boxes = []
    slope = math.tan(math.radians(angle))
    for text in texts:
        width = 16 * len(text)
        top = y + round(slope * (x - 40))
        rise = round(abs(slope) * width)  # an axis-aligned box around slanted text is taller
        measured = angle if width > 3 * height else 0.0  # as the detector: short words come out level
        boxes.append(TextBox(text, (x, top, x + width, top + height + rise), 0.95, measured))
        x += width + gap
    return boxes


def page(*lines: str | tuple[str, ...], angle: float = 0.0, gap: int = 40) -> list[TextBox]:
    """A page of lines, 45 px apart; a tuple is one line read as several boxes, ``gap`` apart."""
    boxes: list[TextBox] = []
    for i, line in enumerate(lines):
        texts = line if isinstance(line, tuple) else (line,)
        boxes += row(*texts, y=40 + 45 * i, angle=angle, gap=gap)
    return boxes


# --- models --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    [
        "NIMBUS VISTA AX242 12M",
        "Nimbus Vista AX242 12M Garansi Resmi",
        "VistaAX24212M",  # OCR dropped every space
        "NIMBUSVISTAAX24212MGARANSI",  # … and glued the next word on
        "AX242 12M (Vista)",
        "All-in-One PC Nimbus Vista AX242-12M i5-1235U/8GB/512GB",
        "V1STA AX242 I2M",  # a 1 read for an I and back
        "ax242 12m",
    ],
)
def test_the_registered_model_is_found_however_ocr_spaced_or_cased_it(printed: str) -> None:
    boxes = page("Mouse Wireless M110", printed, "Kabel HDMI 1.5m")
    found = model_matches(boxes, "Vista AX242 12M")
    assert found is not None
    assert found.text == "Vista AX242 12M"


@pytest.mark.parametrize(
    "printed",
    [
        "NIMBUS VISTA AX242 8M",  # the smaller sibling
        "Nimbus Vista AX272P 12M",
        "Nimbus Vista AX242 12MX",  # a variant letter glued on
        "Vista AX2420 12M",
        "Vista AX242",
        "Mouse Wireless Arkon M110",
    ],
)
def test_a_different_model_of_the_same_family_is_not_the_registered_one(printed: str) -> None:
    assert model_matches(page("INVOICE", printed, "TOTAL Rp9.000.000"), "Vista AX242 12M") is None


def test_a_spec_or_processor_glued_on_by_ocr_does_not_hide_the_model() -> None:
    assert model_matches(page('MONITORARKONHELIXG24C4E223.6"180HZ'), "Helix G24C4 E2") is not None
    assert model_matches(page("LaptopVeltra Cirus14A5MDR5-7530U/8GB"), "Cirrus 14 A5MD") is not None
    assert model_matches(page("VELTRAAERI0NV46ODU08G"), "Aerion V460 Duo 8G") is not None  # O and 0 swapped
    assert model_matches(page("Helix G24C4 E23"), "Helix G24C4 E2") is None


def test_a_model_name_wrapped_in_a_table_cell_is_found_across_the_two_lines() -> None:
    boxes = [
        TextBox("Laptop Nimbus Stratos 15", (100, 200, 420, 230), 0.9),
        TextBox("1", (700, 200, 712, 230), 0.9),
        TextBox("9.000.000", (900, 200, 1040, 230), 0.9),
        TextBox("B12VE i7-12650H/16GB", (100, 236, 400, 266), 0.9),
    ]
    assert model_matches(boxes, "Stratos 15 B12VE") is not None
    assert model_matches(boxes, "Stratos 17 B12VE") is None


def test_an_alias_sku_is_matched_like_a_name() -> None:
    assert model_matches(page("S15-B12VE-1024ID Nimbus Stratos"), "S15-B12VE-1024ID") is not None


def test_a_longer_catalog_model_printed_is_that_model_not_the_shorter_one() -> None:
    catalog = ["Aerion V460 Duo 8G", "Aerion V460 Duo 8G OC", "Aerion V460 Duo 16G"]
    overclocked = page("VELTRA AERION V460 DUO 8G OC GARANSI RESMI")
    assert model_matches(overclocked, "Aerion V460 Duo 8G") is not None  # without the catalog, it looks the same
    assert model_matches(overclocked, "Aerion V460 Duo 8G", rivals=catalog) is None
    assert model_matches(overclocked, "Aerion V460 Duo 8G OC", rivals=catalog) is not None
    plain = page("VELTRA AERION V460 DUO 8G", "Kabel HDMI 1.5m")
    assert model_matches(plain, "Aerion V460 Duo 8G", rivals=catalog) is not None
    reading = invoice_read(overclocked, models=["Aerion V460 Duo 8G"], store=None, others=catalog)
    assert reading.models_found == []


def test_a_name_whose_core_is_only_a_number_needs_the_whole_name() -> None:
    boxes = page("Tas Laptop 15.6 inch", "Flashdisk 15 GB")
    assert model_matches(boxes, "Stratos 15") is None
    assert model_matches(page("Nimbus Stratos 15 Black"), "Stratos 15") is not None


# --- stores --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    ["TOKO SINAR JAYA ELEKTRONIK", "TOKOSINARJAYAELEKTRONIK", "Sinar Jaya Elektronik", "Sinar Jaya Elektronlk"],
)
def test_the_registered_store_is_found_with_or_without_its_legal_form(printed: str) -> None:
    found = store_matches(page(printed, "Jl. Merdeka No. 12, Bandung"), "Toko Sinar Jaya Elektronik")
    assert found is not None


@pytest.mark.parametrize(
    ("registered", "printed"),
    [
        ("Toko Sinar Jaya Elektronik", "SINAR ABADI ELEKTRONIK"),
        ("CV Mega Komputer", "CV. MEGA KOMPUTINDO"),
        ("Gadgetindo Official Store", "Penjual: Gadgetku Official Store"),
        ("Tokoku Official Store", "Toko: Pusat Laptop Murah"),
    ],
)
def test_another_store_with_a_similar_name_does_not_match(registered: str, printed: str) -> None:
    assert store_matches(page(printed, "Jl. Sudirman 5"), registered) is None


def test_short_store_names_and_online_shops_match_as_printed() -> None:
    assert store_matches(page("CV. MEGA KOMPUTER"), "CV Mega Komputer") is not None
    found = store_matches(page(("Toko:", "TokokuOfficialStore")), "Tokoku Official Store")
    assert found is not None
    assert found.text == "TokokuOfficialStore"


def test_without_the_expected_store_the_reading_guesses_the_letterhead() -> None:
    boxes = [
        TextBox("MAJU BERSAMA COMPUTER", (80, 60, 600, 120), 0.9),
        TextBox("FAKTUR PENJUALAN", (800, 70, 1100, 110), 0.9),
        TextBox("Jl. Gatot Subroto No. 5, Medan", (80, 130, 500, 160), 0.9),
        TextBox("Tanggal : 28-11-2024", (700, 200, 1000, 230), 0.9),
    ]
    reading = invoice_read(boxes, models=["Helix G24C4 E2"], store="Toko Bintang Terang Komputer")
    assert not reading.store_matched
    assert reading.store is not None
    assert reading.store.text == "MAJU BERSAMA COMPUTER"


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28-11-2024", dt.date(2024, 11, 28)),
        ("28/11/2024", dt.date(2024, 11, 28)),
        ("5/1/2025", dt.date(2025, 1, 5)),  # day first
        ("28.11.2024", dt.date(2024, 11, 28)),
        ("28-11-24", dt.date(2024, 11, 28)),
        ("2024-11-28", dt.date(2024, 11, 28)),
        ("28 Nopember 2024", dt.date(2024, 11, 28)),
        ("28 November 2024", dt.date(2024, 11, 28)),
        ("3 Pebruari 2024", dt.date(2024, 2, 3)),
        ("17 Agt 2024", dt.date(2024, 8, 17)),
        ("17 Agustus 2024", dt.date(2024, 8, 17)),
        ("2 Des 2024", dt.date(2024, 12, 2)),
        ("9 Okt 2024", dt.date(2024, 10, 9)),
        ("8 Mei 2024", dt.date(2024, 5, 8)),
        ("28 Nov 2024", dt.date(2024, 11, 28)),
        ("November 28, 2024", dt.date(2024, 11, 28)),
        ("Nov 28, 2024", dt.date(2024, 11, 28)),
        # What OCR makes of them
        ("Tgl:28Nopember2024", dt.date(2024, 11, 28)),
        ("2O24-11-28", dt.date(2024, 11, 28)),
        ("28/1l/2024", dt.date(2024, 11, 28)),
        ("Tgl:10/07/202413:19", dt.date(2024, 7, 10)),  # the time glued on
        ("Tgl:2024-07-1618:17", dt.date(2024, 7, 16)),
        ("Tanggal:Sep17.202414:10", dt.date(2024, 9, 17)),
        ("Tgl:10ktober2024", dt.date(2024, 10, 1)),  # "1 Oktober": the O read as a 0, the space dropped
        ("Tanggal:200ktober 2024", dt.date(2024, 10, 20)),
        ("Tanggal:20 0ktober 2024 18:57", dt.date(2024, 10, 20)),
        ("Tgl:14Jull2024", dt.date(2024, 7, 14)),
        ("8Mel2024", dt.date(2024, 5, 8)),
        ("Waktu Pemesanan 30Jul2024,20:32WIB", dt.date(2024, 7, 30)),
        ("23Oktober2024", dt.date(2024, 10, 23)),
        ("November19,2024", dt.date(2024, 11, 19)),
        ("Date:0ct 17,2024 18:50", dt.date(2024, 10, 17)),
    ],
)
def test_dates_are_read_in_the_formats_shops_print(text: str, expected: dt.date) -> None:
    assert [date for _, date in dates_in(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    ["Rp5.700.000", "31-02-2024", "INV/2024/06/021740", "NT-240126-5345", "Telp. (022) 123-4567", "i5-1235U/8GB"],
)
def test_amounts_numbers_and_impossible_dates_are_not_dates(text: str) -> None:
    assert dates_in(text) == []


def test_the_date_next_to_a_purchase_label_wins_over_a_due_date_printed_first() -> None:
    boxes = page(("Jatuh Tempo", ": 28-12-2024"), ("Tanggal", ": 28-11-2024"), "Dicetak 30-11-2024")
    assert invoice_read(boxes, models=[], store=None).invoice_date == dt.date(2024, 11, 28)


def test_an_english_due_date_is_not_the_invoice_date() -> None:
    boxes = page(("Due Date", ": 28/12/2024"), ("Invoice Date", ": 28/11/2024"))
    assert invoice_read(boxes, models=[], store=None).invoice_date == dt.date(2024, 11, 28)


def test_a_warranty_or_delivery_date_is_not_taken_for_the_purchase() -> None:
    boxes = page("Nimbus Vista AX242 12M", "Garansi s/d 28-11-2025", "Waktu Pengiriman 30 Nov 2024")
    assert invoice_read(boxes, models=[], store=None).invoice_date is None


def test_without_a_label_the_first_plausible_date_is_taken() -> None:
    boxes = page("SINAR JAYA", "28/11/2024 14:32", "Kasir: Rina", "Garansi s/d 28/11/2025")
    assert invoice_read(boxes, models=[], store=None).invoice_date == dt.date(2024, 11, 28)


def test_a_date_printed_under_its_label_is_read() -> None:
    boxes = [
        TextBox("Tanggal Pembelian", (40, 100, 300, 130), 0.9),
        TextBox("Jatuh Tempo", (500, 100, 700, 130), 0.9),
        TextBox("28 Nov 2024", (40, 140, 220, 170), 0.9),
        TextBox("28 Des 2024", (500, 140, 680, 170), 0.9),
    ]
    assert invoice_read(boxes, models=[], store=None).invoice_date == dt.date(2024, 11, 28)


def test_the_window_includes_both_ends() -> None:
    start, end = dt.date(2024, 11, 1), dt.date(2024, 12, 31)
    assert date_in_window(dt.date(2024, 11, 1), start, end)
    assert date_in_window(dt.date(2024, 12, 31), start, end)
    assert not date_in_window(dt.date(2024, 10, 31), start, end)
    assert not date_in_window(dt.date(2025, 1, 1), start, end)
    assert not date_in_window(None, start, end)


# --- invoice numbers and lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1NV/2O24/11/000123", "INV/2024/11/000123"),
        ("00123/SJ/X1/2024", "00123/SJ/XI/2024"),
        ("FJ-24l1-O0042", "FJ-2411-00042"),
        ("F}-2407-97545", "FJ-2407-97545"),
        ("NT-241128-0042", "NT-241128-0042"),
    ],
)
def test_invoice_numbers_are_cleaned_of_look_alikes_per_segment(raw: str, expected: str) -> None:
    assert clean_invoice_number(raw) == expected


def test_the_labelled_invoice_number_is_read_not_the_street_number() -> None:
    boxes = page("Jl. Merdeka No. 67, Jakarta", ("No. Faktur", ": 1NV/2024/11/000123"), ("Tanggal", ": 28-11-2024"))
    reading = invoice_read(boxes, models=[], store=None)
    assert reading.invoice_number is not None
    assert reading.invoice_number.text == "INV/2024/11/000123"


def test_a_receipt_number_after_a_bare_no_is_read() -> None:
    reading = invoice_read(page("Jl. Sudirman No. 114, Medan", "No.NT-250318-1653"), models=[], store=None)
    assert reading.invoice_number is not None
    assert reading.invoice_number.text == "NT-250318-1653"


def test_the_boxes_of_a_slanted_line_are_put_back_together() -> None:
    boxes = page(("Tanggal", ":", "28-11-2024"), ("Jatuh Tempo", ":", "28-12-2024"), angle=3.5)
    lines = [" ".join(box.text for box in line) for line in text_lines(boxes)]
    assert lines == ["Tanggal : 28-11-2024", "Jatuh Tempo : 28-12-2024"]


def test_an_invoice_is_read_whole() -> None:
    boxes = page(
        "TOKOSINARJAYAELEKTRONIK",
        ("No. Faktur", ":INV/2024/11/000123"),
        ("Tanggal", ":28 Nopember 2024"),
        ("1", "LAPTOPNIMBUSSTRATOS15B12VE", "1", "8.999.000"),
        angle=-2.0,
    )
    reading = invoice_read(
        boxes, models=["Stratos 15 B12VE", "S15-B12VE-1024ID", "Stratos 17 B12VE"], store="Toko Sinar Jaya Elektronik"
    )
    assert reading.invoice_date == dt.date(2024, 11, 28)
    assert reading.invoice_number is not None and reading.invoice_number.text == "INV/2024/11/000123"
    assert [found.text for found in reading.models_found] == ["Stratos 15 B12VE"]
    assert reading.store_matched
    assert reading.store is not None and reading.store.text == "TOKOSINARJAYAELEKTRONIK"


def test_an_empty_reading_finds_nothing() -> None:
    reading = invoice_read([], models=["Vista AX242 12M"], store="CV Mega Komputer")
    assert reading.invoice_date is None
    assert reading.models_found == []
    assert not reading.store_matched
    assert sticker_read([]).serials == []


# --- stickers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ["S/N: K2411N0012345"],
        ["SN:K2411N0012345"],
        ["SIN: K2411N0012345"],  # the slash read as an I
        [("S/N", "K2411N0012345")],
        ["S/N: K2411N 0012345"],  # printed in two groups
        [("Serial No.:", "K2411N", "0012345")],
        ["K2411N0012345"],  # only under the barcode
        ["SNK2411N0012345"],  # the label glued on
        ["SeriaINo.:K2411N0012345"],  # an I read for the l
        ["S#N;:K2411N0012345"],  # a label garbled beyond recognition
    ],
)
def test_the_serial_is_read_labelled_or_not(lines: list) -> None:
    reading = sticker_read(page("NIMBUS", "MODEL: NB-1584", *lines, "Made in Indonesia", gap=12))
    assert [found.text for found in reading.serials][:1] == ["K2411N0012345"]
    assert serial_matches(reading, "K2411N0012345") is not None


def test_a_field_printed_further_along_the_line_is_not_taken_into_the_serial() -> None:
    reading = sticker_read(page(("S/N: K2411N0012345", "CHK: 123"), ("SN:", "7E854406963", "20V 6.75A"), gap=12))
    assert [found.text for found in reading.serials] == ["K2411N0012345", "7E854406963"]


def test_a_serial_that_starts_with_sn_is_not_cut_short() -> None:
    reading = sticker_read(page("SN24110012345"))
    assert serial_matches(reading, "SN24110012345") is not None


def test_a_serial_typed_with_look_alikes_matches_but_one_other_character_does_not() -> None:
    reading = sticker_read(page("S/N: K2411N0012345", "CHK: 123"))
    assert serial_matches(reading, "K24IIN0O12345") is not None
    assert serial_matches(reading, "k2411n-0012345") is not None
    assert serial_matches(reading, "K2411N0012346") is None
    assert serial_matches(reading, "K2411N001234") is None
    assert serial_matches(reading, "") is None


def test_the_chk_code_is_read_with_its_look_alikes() -> None:
    reading = sticker_read(page("S/N: K2411N0012345", "CHK: 1O3"))
    assert reading.chk is not None
    assert reading.chk.text == "103"


def test_a_box_label_without_a_serial_gives_none_and_its_ean_is_not_one() -> None:
    label = page("NIMBUS", "Nimbus Vista AX242 12M", "8991234567890", ("Color: Black", "Qty: 1 PCS"), "SDPPI 81/2024")
    reading = sticker_read(label)
    assert reading.serials == []
    assert serial_matches(reading, "K2411N0012345") is None
