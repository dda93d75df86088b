"""Load, once in gunicorn's master, what requests would otherwise load in each worker on first use.

With the app preloaded (gunicorn.conf.py, `when_ready`), workers are forked from the master
and share what it has loaded. What Django and the libraries load lazily would instead be
loaded by each worker's first requests of a kind, at that request's expense: the first
picture hashed imports SciPy (half a second), the first claim submitted loads the public
holiday calendars, every template is compiled by its first render. With five workers and a
few restarts an hour that is a second's delay for a member now and then, and the slowest
requests the load test sees (docs/performance.md). Everything here is done without a
database, cache or network connection: nothing the workers inherit may be open.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

# Libraries imported inside the functions that use them, and what it costs them.
LAZY_LIBRARIES = (
    "scipy.fftpack",  # imagehash.phash: the DCT of an uploaded picture's perceptual hash (about 0.5 s)
    "holidays.countries",  # holidays.country_holidays: a claim's due date in working days (about 0.1 s)
    "_strptime",  # datetime.strptime: a date typed in a form
)
# Project modules that never run in a web request; not worth a worker's memory.
_SKIPPED_PARTS = {"tests", "migrations", "management", "demo"}


def warm_up() -> dict[str, int]:
    """Import the project and the lazily imported libraries, compile the templates, load the translations.

    Returns what was loaded (for the log line of whoever calls it).
    """
    modules = _import_project()
    for name in LAZY_LIBRARIES:
        importlib.import_module(name)
    from PIL import Image

    Image.init()  # every image format's plugin, as the first picture of an unusual format would
    templates = _compile_templates()
    _load_languages()
    _load_celery()
    return {"modules": modules, "templates": templates}


def _import_project() -> int:
    import membercenter

    count = 0
    for info in pkgutil.walk_packages(membercenter.__path__, prefix="membercenter."):
        if _SKIPPED_PARTS.intersection(info.name.split(".")):
            continue
        importlib.import_module(info.name)
        count += 1
    return count


def _compile_templates() -> int:
    """Every template of the project's folders, through the cached loader the requests use."""
    from django.conf import settings
    from django.template import engines
    from django.template.backends.django import DjangoTemplates
    from django.template.utils import get_app_template_dirs
    from django.utils.module_loading import import_string

    import_string(settings.MESSAGE_STORAGE)  # what {% for message in messages %} reads
    count = 0
    root = Path(__file__).resolve().parents[2]
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        engine.engine.template_context_processors  # noqa: B018 — imported on first use
        folders = [Path(d) for d in engine.engine.dirs] + [Path(d) for d in get_app_template_dirs("templates")]
        for folder in folders:
            if not folder.resolve().is_relative_to(root):
                continue  # the libraries' own (admin, forms): rarely rendered, left to first use
            for path in sorted(folder.rglob("*")):
                if path.suffix not in {".html", ".txt"} or not path.is_file():
                    continue
                engine.get_template(path.relative_to(folder).as_posix())
                count += 1
    return count


def _load_languages() -> None:
    """Each language's catalogue and its URL reverse table (both are built per language, on first use)."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import formats, translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Member Center")
            formats.get_format("DATE_INPUT_FORMATS")  # the language's date formats module
            resolver.reverse_dict  # noqa: B018 — evaluated for its side effect: the table is built


def _load_celery() -> None:
    """The tasks registered and the broker's transport module imported, as the first `.delay()` would.

    No connection is opened: kombu connects when a message is first sent.
    """
    from celery.result import AsyncResult  # noqa: F401 — what sending a task returns

    from membercenter.celery import app

    app.tasks  # noqa: B018 — evaluated for its side effect: every task registered
    app.amqp.router  # noqa: B018 — the publishing side (routes, producer settings)
    connection = app.connection_for_write()
    try:
        connection.transport  # noqa: B018 — the transport class, without connecting
    finally:
        connection.release()
