"""What the load test's users read from the pages and how they send forms (no locust here: tests import it).

Tied to the templates: the CSRF field, the captcha (`includes/captcha.html`, "a + b ="), the
confirm page's submit token, the review queue's claim links. tests/loadtest checks them
against the templates, so a change there shows before `make loadtest` fails on it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CAPTCHA_ID = re.compile(r'name="captcha_id" value="([^"]+)"')
CAPTCHA = re.compile(r'id="captcha-question">\s*(\d+)\s*\+\s*(\d+)\s*=')
SUBMIT_TOKEN = re.compile(r'name="submit_token" value="([^"]+)"')
CLAIM_LINK = re.compile(r'href="/staff/claims/(\d+)/[?"]')
ERRORS = re.compile(r'<ul class="errorlist"[^>]*>(.*?)</ul>|<div class="errorbox"[^>]*>(.*?)</div>', re.S)


def captcha(page: str) -> tuple[str, str] | None:
    """The captcha's id and its answer, read as a person reads the question; None when the page has none."""
    question, key = CAPTCHA.search(page), CAPTCHA_ID.search(page)
    if not (question and key):
        return None
    return key.group(1), str(int(question.group(1)) + int(question.group(2)))


def errors(page: str) -> str:
    """The form errors a page shows, as text (for the error message of a failed request)."""
    return " ".join(re.sub(r"<[^>]+>", " ", "".join(m)).strip() for m in ERRORS.findall(page))


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, Path]]) -> tuple[bytes, str]:
    """A multipart/form-data body, as a browser sends a form with files, and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
