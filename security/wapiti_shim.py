"""Debian's wapiti 3.0.4 with two faults fixed: `python3 wapiti_shim.py ARGS…` = `wapiti ARGS…`.

1. Its crawler turns each -x/--exclude pattern into the regular expression `…\\Z(?ms)`, which
   Python 3.11 refuses (global flags not at the start), so any -x crashes the scan. The same
   translation with the flags in front is put in its place.
2. Its csrf module recognises a form's CSRF token by the field's name, from a list without
   Django's `csrfmiddlewaretoken` (later wapiti versions have it), so it reported every Django
   form as "Lack of anti CSRF token" without testing it. With the name added, the module does
   its real checks on our forms: the request with the token replaced must be answered
   differently (Django refuses it), and the token must be long and random enough.

Nothing else changes. Run by the interpreter of /usr/bin/wapiti (Debian's python3, where
wapitiCore is installed).
"""

from __future__ import annotations

import re
import sys

from wapitiCore.attack.mod_csrf import mod_csrf
from wapitiCore.main.wapiti import wapiti_main
from wapitiCore.net import crawler


def wildcard_translate(pattern: str) -> re.Pattern[str]:
    return re.compile("(?ms)" + ".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


crawler.wildcard_translate = wildcard_translate
if "csrfmiddlewaretoken" not in mod_csrf.TOKEN_FORM_STRINGS:
    mod_csrf.TOKEN_FORM_STRINGS = [*mod_csrf.TOKEN_FORM_STRINGS, "csrfmiddlewaretoken"]

if __name__ == "__main__":
    sys.argv[0] = "wapiti"
    sys.exit(wapiti_main())
