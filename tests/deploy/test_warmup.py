"""gunicorn's master warms up before forking: what requests would load lazily is loaded, without a connection."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.template import engines

from membercenter.lib.warmup import LAZY_LIBRARIES, warm_up


def test_warm_up_loads_templates_and_lazy_libraries_without_touching_the_database():
    # No django_db mark: pytest-django fails any database access, which a master must not make
    # (its connection would be shared by every forked worker).
    loaded = warm_up()

    assert loaded["modules"] > 100
    for name in LAZY_LIBRARIES:
        assert name in sys.modules
    # The member's layout and an email body are compiled and kept by the cached loader the requests use.
    [loader] = engines["django"].engine.template_loaders
    cached = set(loader.get_template_cache)
    assert {"base.html", "account_base.html"} <= cached
    assert any(name.endswith(".txt") for name in cached)
    # Every template of the project's own folder at least (the apps' folders add theirs).
    assert loaded["templates"] >= len(list((Path(settings.BASE_DIR) / "templates").rglob("*.html")))
