"""Code pools: importing codes (page and command), what is refused and why, and serving the claims waiting."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from membercenter.audit.models import AuditEntry
from membercenter.rewards.crypto import code_decrypt, code_fingerprint
from membercenter.rewards.models import Reward, RewardCode, RewardGrant
from membercenter.rewards.pools import codes_import, codes_import_then_allocate, pool_for, pool_stats
from tests.claims.conftest import PromotionFactory
from tests.rewards.conftest import codes_csv, fill_pool, new_codes

pytestmark = pytest.mark.django_db

# Line 1 is the header; the data lines are numbered as a spreadsheet shows them.
MIXED = """code
ALPHA-0001
BRAVO-0002
ALPHA-0001
bad code!
x
CHARLIE-0003

DELTA-0004
"""


def test_import_loads_new_codes_and_reports_duplicates_and_invalid_rows_by_line(code_reward, manager):
    pool = pool_for(code_reward)
    fill_pool(code_reward, ["DELTA-0004"])
    report = codes_import(pool=pool, csv_text=MIXED, actor=manager)
    assert report.added == 3  # ALPHA, BRAVO, CHARLIE
    assert report.problems == [
        (4, "the same code as line 2"),
        (5, "not a valid code (4–64 letters, digits or dashes)"),
        (6, "not a valid code (4–64 letters, digits or dashes)"),
        (9, "already in the pool"),
    ]
    stored = sorted(code_decrypt(c.ciphertext) for c in RewardCode.objects.filter(pool=pool))
    assert stored == ["ALPHA-0001", "BRAVO-0002", "CHARLIE-0003", "DELTA-0004"]
    assert pool_stats(pool).total == 4
    entry = AuditEntry.objects.get(action="codes.import")
    assert entry.actor == manager and "3 codes added" in entry.summary and "4 rows refused" in entry.summary
    assert "ALPHA-0001" not in entry.summary


def test_importing_the_same_file_twice_adds_nothing_the_second_time(code_reward):
    codes = new_codes(5)
    pool = pool_for(code_reward)
    assert codes_import(pool=pool, csv_text=codes_csv(codes), actor=None).added == 5
    again = codes_import(pool=pool, csv_text=codes_csv(codes), actor=None)
    assert again.added == 0
    assert again.problems == [(line, "already in the pool") for line in range(2, 7)]
    assert RewardCode.objects.filter(pool=pool).count() == 5


def test_a_code_in_one_pool_does_not_block_another_pool(code_reward):
    other = Reward.objects.create(promotion=PromotionFactory(), kind=Reward.Kind.DIGITAL_CODE, name_en="Voucher",
                                  name_id="Voucher", value=100, currency="IDR")  # fmt: skip
    fill_pool(code_reward, ["SAME-CODE-1"])
    assert codes_import(pool=pool_for(other), csv_text="SAME-CODE-1\n", actor=None).added == 1


def test_codes_are_stored_encrypted_and_found_by_keyed_hash(code_reward):
    fill_pool(code_reward, ["SECRET-CODE-42"])
    row = RewardCode.objects.get()
    assert "SECRET-CODE-42" not in row.ciphertext and "SECRET-CODE-42" not in row.fingerprint
    assert row.fingerprint == code_fingerprint("SECRET-CODE-42")


def test_adding_codes_to_a_dry_pool_serves_the_claims_left_waiting(
    code_reward, approved_claim_factory, manager, django_capture_on_commit_callbacks
):
    fill_pool(code_reward, new_codes(1))
    claims = [approved_claim_factory() for _ in range(3)]
    from membercenter.rewards.services import rewards_allocate, rewards_deliver

    with django_capture_on_commit_callbacks(execute=True):
        rewards_allocate()
        rewards_deliver()
    pool = pool_for(code_reward)
    assert pool_stats(pool).waiting_claims == 2 and pool_stats(pool).running_low
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report = codes_import_then_allocate(pool=pool, csv_text=codes_csv(new_codes(2)), actor=manager)
    assert report.added == 2
    grants = RewardGrant.objects.filter(item__claim__in=claims)
    assert set(grants.values_list("status", flat=True)) == {RewardGrant.Status.DELIVERED}
    assert len(set(grants.values_list("code", flat=True))) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.member.email for c in claims[1:])
    assert not pool_stats(pool).running_low


def test_import_page_shows_the_report_and_never_echoes_a_code(
    client, manager, code_reward, approved_claim_factory, django_capture_on_commit_callbacks
):
    claim = approved_claim_factory()  # waiting: the pool is empty
    client.force_login(manager)
    url = reverse("backoffice:codes_import", args=[code_reward.pk])
    page = client.get(url).content.decode()
    assert '<label for="id_file"' in page and 'enctype="multipart/form-data"' in page
    upload = SimpleUploadedFile("codes.csv", MIXED.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload})
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert "4 codes added." in html
    assert "3 rows were not loaded:" in html
    for line, reason in [(4, "the same code as line 2"), (5, "not a valid code"), (6, "not a valid code")]:
        assert f'data-label="Line">{line}</td><td data-label="Why">{reason}' in html
    for code in ["ALPHA-0001", "BRAVO-0002", "CHARLIE-0003", "DELTA-0004", "bad code!"]:
        assert code not in html
    # the claim that was waiting got its code (and, delivering on approval, its email)
    grant = RewardGrant.objects.get(item__claim=claim)
    assert grant.status == RewardGrant.Status.DELIVERED
    assert AuditEntry.objects.get(action="codes.import").actor == manager


def test_import_page_refuses_a_file_that_is_not_utf8(client, manager, code_reward):
    client.force_login(manager)
    upload = SimpleUploadedFile("codes.csv", "CÓDIGO-1\n".encode("utf-16"), content_type="text/csv")
    response = client.post(reverse("backoffice:codes_import", args=[code_reward.pk]), {"file": upload})
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not RewardCode.objects.exists()


def test_a_gift_has_no_code_import(client, manager, gift_reward):
    client.force_login(manager)
    response = client.get(reverse("backoffice:codes_import", args=[gift_reward.pk]), follow=True)
    assert "Only a digital-code reward has a pool of codes." in response.content.decode()


# --- manage.py import_codes -------------------------------------------------------------------------


def test_command_imports_by_pool_id_and_prints_the_report(code_reward, tmp_path, capsys, manager):
    path = tmp_path / "codes.csv"
    path.write_text(MIXED, encoding="utf-8")
    pool = pool_for(code_reward)
    call_command("import_codes", str(pool.pk), str(path), "--by", manager.email)
    out, err = capsys.readouterr()
    assert f"4 codes added to pool {pool.pk} (Digital Code IDR 500.000); 3 rows refused" in out
    assert err.splitlines() == [
        "line 4: the same code as line 2",
        "line 5: not a valid code (4–64 letters, digits or dashes)",
        "line 6: not a valid code (4–64 letters, digits or dashes)",
    ]
    assert "ALPHA-0001" not in out + err
    assert RewardCode.objects.filter(pool=pool).count() == 4
    assert AuditEntry.objects.get(action="codes.import").actor == manager


def test_command_takes_reward_id_and_reports_codes_already_in_the_pool(code_reward, manager, tmp_path, capsys):
    fill_pool(code_reward, ["ALPHA-0001"])
    path = tmp_path / "codes.csv"
    path.write_text("ALPHA-0001\nECHO-0005\n", encoding="utf-8")
    call_command("import_codes", f"reward:{code_reward.pk}", str(path), "--by", manager.email)
    out, err = capsys.readouterr()
    assert "1 codes added" in out and "1 rows refused" in out
    assert err.strip() == "line 1: already in the pool"


def test_command_serves_the_claims_waiting(code_reward, approved_claim_factory, manager, tmp_path,
                                           django_capture_on_commit_callbacks):  # fmt: skip
    claim = approved_claim_factory()
    path = tmp_path / "codes.csv"
    path.write_text(codes_csv(new_codes(1)), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_codes", f"reward:{code_reward.pk}", str(path), "--by", manager.email)
    assert RewardGrant.objects.get(item__claim=claim).status == RewardGrant.Status.DELIVERED


@pytest.mark.parametrize(
    ("pool", "file", "message"),
    [
        ("POOL", "missing.csv", "no such file"),
        ("999999", "codes.csv", "no such pool"),
        ("reward:999999", "codes.csv", "no such reward"),
        ("GIFT", "codes.csv", "is a physical gift"),
        ("pool-one", "codes.csv", "give a pool id or reward:<id>"),
    ],
)
def test_command_fails_with_a_clear_message(code_reward, gift_reward, manager, tmp_path, pool, file, message):
    (tmp_path / "codes.csv").write_text("ALPHA-0001\n", encoding="utf-8")
    pool = {"POOL": str(pool_for(code_reward).pk), "GIFT": f"reward:{gift_reward.pk}"}.get(pool, pool)
    with pytest.raises(CommandError, match=message):
        call_command("import_codes", pool, str(tmp_path / file), "--by", manager.email)
    assert not RewardCode.objects.exists()


def test_command_with_an_unknown_importer_imports_nothing(code_reward, tmp_path):
    (tmp_path / "codes.csv").write_text("ALPHA-0001\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no such active user"):
        call_command("import_codes", f"reward:{code_reward.pk}", str(tmp_path / "codes.csv"), "--by", "x@example.com")
    assert not RewardCode.objects.exists()


def test_a_large_file_is_checked_against_the_pool_in_chunks(code_reward, monkeypatch):
    # A statement carries at most 65,535 parameters: the lookup of codes already in the pool goes by chunks.
    from membercenter.rewards import pools

    monkeypatch.setattr(pools, "_LOOKUP_CHUNK", 2)
    first = new_codes(5)
    assert fill_pool(code_reward, first).added == 5

    report = codes_import(pool=pool_for(code_reward), csv_text=codes_csv([*first[::2], *new_codes(3)]), actor=None)

    assert report.added == 3
    assert sorted(reason for _line, reason in report.problems) == ["already in the pool"] * 3
