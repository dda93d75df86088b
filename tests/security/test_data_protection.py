"""Data protection at rest: reward codes are never stored in clear, and their lookup hash is keyed."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from membercenter.rewards.crypto import code_decrypt, code_fingerprint
from membercenter.rewards.models import RewardCode, RewardGrant
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.privacy.conftest import columns_count, text_columns_containing
from tests.rewards.conftest import (  # noqa: F401  (fixtures of tests/rewards, used here)
    approved_claim_factory,
    code_reward,
    fill_pool,
    new_codes,
    reward_code_promotion,
)


@pytest.fixture
def delivered_codes(code_reward, approved_claim_factory, django_capture_on_commit_callbacks) -> list[str]:  # noqa: F811
    """Ten codes imported through the real import; three of them given and emailed to members."""
    codes = new_codes(10, prefix="SECRET")
    fill_pool(code_reward, codes)
    for _ in range(3):
        approved_claim_factory(code_reward.promotion)
    with django_capture_on_commit_callbacks(execute=True):
        rewards_allocate()
        rewards_deliver()
    assert RewardGrant.objects.filter(status=RewardGrant.Status.DELIVERED).count() == 3
    return codes


def test_no_reward_code_is_stored_in_clear_anywhere(delivered_codes, scorecard):
    # Every column of every table, read as text: the pool, the grants, the outbox and inbox copies of
    # the code email, the audit log.
    found = {code: text_columns_containing(code) for code in delivered_codes}

    scorecard.record("data.reward_codes_checked", len(delivered_codes))
    scorecard.record("data.columns_scanned", columns_count())
    scorecard.record("data.plaintext_code_columns", sum(len(v) for v in found.values()))
    assert found == {code: [] for code in delivered_codes}


def test_the_raw_column_is_ciphertext_that_only_the_key_opens(delivered_codes, settings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT ciphertext, fingerprint FROM rewards_rewardcode ORDER BY id")
        rows = cursor.fetchall()

    assert len(rows) == len(delivered_codes)
    assert sorted(code_decrypt(ciphertext) for ciphertext, _ in rows) == sorted(delivered_codes)
    # Fernet: a fresh IV per code, so two codes never share a ciphertext prefix beyond the version byte.
    assert len({ciphertext[:20] for ciphertext, _ in rows}) == len(rows)
    settings.REWARD_CODES_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        code_decrypt(rows[0][0])


def test_the_lookup_hash_is_keyed(delivered_codes, settings):
    code = delivered_codes[0]
    stored = RewardCode.objects.get(fingerprint=code_fingerprint(code)).fingerprint

    # Not a plain hash anyone could compute from a guessed code...
    assert stored not in {hashlib.sha256(code.encode()).hexdigest(), hashlib.sha1(code.encode()).hexdigest()}  # noqa: S324
    # ...but one that depends on the key: another key gives another fingerprint for the same code.
    settings.REWARD_CODES_KEY = Fernet.generate_key().decode()
    assert code_fingerprint(code) != stored
