"""The demo catalog's content: plain data, no Django, so demo/make_serials.py can read it.

Every brand, model and store name here is invented; the product is brand-neutral.
"""

from __future__ import annotations

# code, English name, Indonesian name, currency, time zone
REGIONS = [
    ("ID", "Indonesia", "Indonesia", "IDR", "Asia/Jakarta"),
    ("MY", "Malaysia", "Malaysia", "MYR", "Asia/Kuala_Lumpur"),
    ("SG", "Singapore", "Singapura", "SGD", "Asia/Singapore"),
]

# ISO 3166-2 codes and the names the governments use (BPS for Indonesia).
PROVINCES = {
    "ID": [
        ("ID-AC", "Aceh"),
        ("ID-SU", "Sumatera Utara"),
        ("ID-SB", "Sumatera Barat"),
        ("ID-RI", "Riau"),
        ("ID-KR", "Kepulauan Riau"),
        ("ID-JA", "Jambi"),
        ("ID-SS", "Sumatera Selatan"),
        ("ID-BB", "Kepulauan Bangka Belitung"),
        ("ID-BE", "Bengkulu"),
        ("ID-LA", "Lampung"),
        ("ID-JK", "DKI Jakarta"),
        ("ID-JB", "Jawa Barat"),
        ("ID-BT", "Banten"),
        ("ID-JT", "Jawa Tengah"),
        ("ID-YO", "DI Yogyakarta"),
        ("ID-JI", "Jawa Timur"),
        ("ID-BA", "Bali"),
        ("ID-NB", "Nusa Tenggara Barat"),
        ("ID-NT", "Nusa Tenggara Timur"),
        ("ID-KB", "Kalimantan Barat"),
        ("ID-KT", "Kalimantan Tengah"),
        ("ID-KS", "Kalimantan Selatan"),
        ("ID-KI", "Kalimantan Timur"),
        ("ID-KU", "Kalimantan Utara"),
        ("ID-SA", "Sulawesi Utara"),
        ("ID-ST", "Sulawesi Tengah"),
        ("ID-SN", "Sulawesi Selatan"),
        ("ID-SG", "Sulawesi Tenggara"),
        ("ID-GO", "Gorontalo"),
        ("ID-SR", "Sulawesi Barat"),
        ("ID-MA", "Maluku"),
        ("ID-MU", "Maluku Utara"),
        ("ID-PA", "Papua"),
        ("ID-PB", "Papua Barat"),
        ("ID-PS", "Papua Selatan"),
        ("ID-PT", "Papua Tengah"),
        ("ID-PE", "Papua Pegunungan"),
        ("ID-PD", "Papua Barat Daya"),
    ],
    "MY": [
        ("MY-01", "Johor"),
        ("MY-02", "Kedah"),
        ("MY-03", "Kelantan"),
        ("MY-04", "Melaka"),
        ("MY-05", "Negeri Sembilan"),
        ("MY-06", "Pahang"),
        ("MY-07", "Pulau Pinang"),
        ("MY-08", "Perak"),
        ("MY-09", "Perlis"),
        ("MY-10", "Selangor"),
        ("MY-11", "Terengganu"),
        ("MY-12", "Sabah"),
        ("MY-13", "Sarawak"),
        ("MY-14", "Wilayah Persekutuan Kuala Lumpur"),
        ("MY-15", "Wilayah Persekutuan Labuan"),
        ("MY-16", "Wilayah Persekutuan Putrajaya"),
    ],
    "SG": [("SG", "Singapore")],
}

_STICKER_EN = "The CHK is the 3-digit code printed beside the SN on the same sticker."
_STICKER_ID = "CHK adalah kode 3 digit yang tercetak di samping SN pada stiker yang sama."
_NOT_BOX_EN = "Do not use the number on the box: it is not checked."
_NOT_BOX_ID = "Jangan gunakan nomor pada kardus: nomor itu tidak dapat diperiksa."

# slug, English name, Indonesian name, where the sticker is (English, Indonesian)
CATEGORIES = [
    (
        "laptop",
        "Laptop",
        "Laptop",
        "Close the laptop and turn it over: the serial number sticker is on the bottom cover.",
        "Tutup laptop lalu balikkan: stiker nomor seri ada di penutup bagian bawah.",
    ),
    (
        "desktop",
        "Desktop",
        "PC Desktop",
        "The serial number sticker is on the back panel of the case, near the power socket, or on its left side.",
        "Stiker nomor seri ada di panel belakang casing, dekat soket daya, atau di sisi kirinya.",
    ),
    (
        "aio",
        "All-in-One (AIO)",
        "PC All-in-One (AIO)",
        "The serial number sticker is on the back of the screen, below the stand or behind the stand cover.",
        "Stiker nomor seri ada di bagian belakang layar, di bawah dudukan atau di balik penutup dudukan.",
    ),
    (
        "monitor",
        "Monitor",
        "Monitor",
        "Turn the monitor around: the serial number sticker is on the back cover, next to the ports.",
        "Putar monitor: stiker nomor seri ada di penutup belakang, di samping port.",
    ),
    (
        "motherboard",
        "Motherboard",
        "Motherboard",
        "The serial number sticker is on the board itself, usually between the expansion slots or on the edge.",
        "Stiker nomor seri ada pada papan itu sendiri, biasanya di antara slot ekspansi atau di tepinya.",
    ),
    (
        "graphics-card",
        "Graphics card",
        "Kartu Grafis",
        "The serial number sticker is on the back of the card, on the circuit board or the back plate.",
        "Stiker nomor seri ada di bagian belakang kartu, pada papan sirkuit atau pelat belakang.",
    ),
    (
        "gaming-gear",
        "Gaming gear",
        "Perlengkapan Gaming",
        "Turn the mouse, keyboard or headset over: the sticker is underneath or on the headband.",
        "Balikkan mouse, keyboard, atau headset: stikernya ada di bagian bawah atau di ikat kepala.",
    ),
]


def sn_help_texts(where_en: str, where_id: str) -> tuple[str, str]:
    return f"{where_en} {_STICKER_EN} {_NOT_BOX_EN}", f"{where_id} {_STICKER_ID} {_NOT_BOX_ID}"


# code, name, category slug, warranty months
PRODUCT_MODELS = [
    ("AUR14-C12", "Aurora 14 Creator", "laptop", 24),
    ("AUR16-C12", "Aurora 16 Creator", "laptop", 24),
    ("NMB15-G7", "Nimbus 15 Gaming", "laptop", 24),
    ("NMB17-GP9", "Nimbus 17 Gaming Pro", "laptop", 24),
    ("ZPH13-A5", "Zephyr 13 Air", "laptop", 12),
    ("ZPH14-B7", "Zephyr 14 Business", "laptop", 36),
    ("TTN-X700", "Titan Tower X", "desktop", 36),
    ("TTN-M300", "Titan Mini", "desktop", 24),
    ("FRG-G500", "Forge Gaming Desktop", "desktop", 24),
    ("NMB-AIO24", "Nimbus AIO 24", "aio", 24),
    ("NMB-AIO27P", "Nimbus AIO 27 Pro", "aio", 36),
    ("VST24-F75", "Vista 24 Office", "monitor", 36),
    ("VST27-Q165", "Vista 27 QHD", "monitor", 36),
    ("VST32-U60", "Vista 32 4K", "monitor", 36),
    ("VTX34-C144", "Vortex 34 Curved", "monitor", 36),
    ("KST-Z1P", "Keystone Z1 Plus", "motherboard", 36),
    ("KST-Z3E", "Keystone Z3 Elite", "motherboard", 36),
    ("KST-M1M", "Keystone M1 Micro", "motherboard", 36),
    ("TMP-G8D", "Tempest G8 Dual", "graphics-card", 36),
    ("TMP-G12T", "Tempest G12 Triple OC", "graphics-card", 36),
    ("SWF-M3", "Swift M3 Gaming Mouse", "gaming-gear", 12),
    ("SWF-K7", "Swift K7 Mechanical Keyboard", "gaming-gear", 24),
    ("ECH-H5", "Echo H5 Gaming Headset", "gaming-gear", 12),
]

# region, province code, city, store name, channel
STORES = [
    ("ID", "ID-JK", "Jakarta Pusat", "Kilau Komputer", "retail"),
    ("ID", "ID-JK", "Jakarta Barat", "Rajawali PC Mart", "retail"),
    ("ID", "ID-JK", "Jakarta Selatan", "Bintang Laptop Gallery", "retail"),
    ("ID", "ID-JK", "Jakarta Utara", "Samudra Digital Online", "online"),
    ("ID", "ID-JK", "Jakarta Timur", "Mitra Niaga Komputindo", "reseller"),
    ("ID", "ID-JB", "Bandung", "Parahyangan Komputer", "retail"),
    ("ID", "ID-JB", "Bekasi", "Teras Gadget Bekasi", "retail"),
    ("ID", "ID-JB", "Bogor", "Kencana Laptop Center", "reseller"),
    ("ID", "ID-JB", "Depok", "Arus Digital Online", "online"),
    ("ID", "ID-JT", "Semarang", "Lentera Komputer Semarang", "retail"),
    ("ID", "ID-JT", "Surakarta", "Batik Tekno Solo", "retail"),
    ("ID", "ID-JT", "Semarang", "Pustaka PC Online", "online"),
    ("ID", "ID-JI", "Surabaya", "Pelita Komputer Surabaya", "retail"),
    ("ID", "ID-JI", "Surabaya", "Tugu Gaming Store", "retail"),
    ("ID", "ID-JI", "Malang", "Apel Digital Malang", "retail"),
    ("ID", "ID-JI", "Sidoarjo", "Delta Niaga Teknik", "reseller"),
    ("ID", "ID-JI", "Surabaya", "Gelombang Online", "online"),
    ("ID", "ID-BA", "Denpasar", "Dewata Komputer", "retail"),
    ("ID", "ID-BA", "Badung", "Pantai PC Corner", "reseller"),
    ("ID", "ID-SU", "Medan", "Toba Laptop Center", "retail"),
    ("ID", "ID-SU", "Medan", "Deli Tekno Online", "online"),
    ("ID", "ID-SN", "Makassar", "Pinisi Komputer", "retail"),
    ("ID", "ID-SN", "Makassar", "Losari Digital Mitra", "reseller"),
    ("ID", "ID-YO", "Yogyakarta", "Malioboro Komputer", "retail"),
    ("ID", "ID-BT", "Tangerang", "Cakrawala Gadget Tangerang", "retail"),
    ("ID", "ID-KI", "Balikpapan", "Borneo Komputer", "retail"),
    ("ID", "ID-SS", "Palembang", "Musi Digital", "retail"),
    ("MY", "MY-14", "Kuala Lumpur", "Harimau Tech Hub", "retail"),
    ("MY", "MY-10", "Petaling Jaya", "Selangor PC Depot", "reseller"),
    ("MY", "MY-07", "George Town", "Selat Digital Online", "online"),
    ("MY", "MY-01", "Johor Bahru", "Tebrau Laptop Point", "retail"),
    ("SG", "SG", "Singapore", "Lion City Laptops", "retail"),
    ("SG", "SG", "Singapore", "Marina Gadget Online", "online"),
    ("SG", "SG", "Singapore", "Straits PC Partners", "reseller"),
]

# slug, English name, Indonesian name
NEWSLETTERS = [
    ("product-news", "Product news", "Berita produk"),
    ("promotions", "Promotions and offers", "Promo dan penawaran"),
    ("events", "Events", "Acara"),
]
