"""Reward codes are money: encrypted at rest, compared by keyed hash, shown masked.

The key comes from REWARD_CODES_KEY (a Fernet key). Without it, a key is derived from
SECRET_KEY so that a trial install works; production sets its own and keeps it out of
the database backups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _key() -> bytes:
    if settings.REWARD_CODES_KEY:
        return settings.REWARD_CODES_KEY.encode()
    digest = hashlib.sha256(("reward-codes:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


def code_encrypt(code: str) -> str:
    return Fernet(_key()).encrypt(code.encode()).decode()


def code_decrypt(token: str) -> str:
    try:
        return Fernet(_key()).decrypt(token.encode()).decode()
    except InvalidToken as err:
        raise ValueError("reward code cannot be decrypted with the configured key") from err


def code_fingerprint(code: str) -> str:
    """A keyed hash: finds duplicates without storing or comparing the code itself."""
    return hmac.new(_key(), code.strip().encode(), hashlib.sha256).hexdigest()


def code_mask(code: str) -> str:
    """What staff see: the last four characters."""
    tail = code[-4:] if len(code) > 6 else ""
    return "•" * 8 + tail
