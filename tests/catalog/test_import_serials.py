from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from membercenter.catalog import services
from membercenter.catalog.models import Serial
from membercenter.catalog.serials import sn_skeleton
from membercenter.catalog.services import SerialImportError, serials_import

pytestmark = pytest.mark.django_db


def registry() -> dict[str, tuple[str, str, str, dt.date]]:
    return {
        s.sn: (s.skeleton, s.chk, s.product_model.code, s.manufactured_on)
        for s in Serial.objects.select_related("product_model")
    }


def test_valid_rows_are_inserted_with_normalised_sn_and_skeleton(laptop_models, write_csv):
    path = write_csv(
        "abc-1234 5678,042,AUR14-C12,2024-03-15",
        "SOB1LO24ZQ, 007 ,NMB15-G7,2023-01-01",
    )

    report = serials_import(source=path)

    assert (report.rows_read, report.accepted, report.rejected, report.created) == (2, 2, 0, 2)
    assert registry() == {
        "ABC12345678": (sn_skeleton("ABC12345678"), "042", "AUR14-C12", dt.date(2024, 3, 15)),
        # O→0, B→8, I/L→1, S→5, Z→2, Q→0: what "did you mean" looks up.
        "SOB1LO24ZQ": ("5081102420", "007", "NMB15-G7", dt.date(2023, 1, 1)),
    }


def test_each_bad_row_is_reported_with_its_line_and_reason_and_not_saved(laptop_models, write_csv):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    path = write_csv(
        "GOOD00000001,111,AUR14-C12,2024-01-01",  # line 2
        "BAD!SN,111,AUR14-C12,2024-01-01",  # 3
        "GOOD00000003,12,AUR14-C12,2024-01-01",  # 4
        "GOOD00000004,12a,AUR14-C12,2024-01-01",  # 5
        "GOOD00000005,111,NOPE-1,2024-01-01",  # 6
        "GOOD00000006,111,AUR14-C12,2024-02-30",  # 7
        "GOOD00000007,111,AUR14-C12,01/02/2024",  # 8
        f"GOOD00000008,111,AUR14-C12,{tomorrow.isoformat()}",  # 9
        "good-0000-0001,222,NMB15-G7,2024-05-05",  # 10: same SN as line 2 once normalised
        "GOOD00000010,111,AUR14-C12",  # 11
        "GOOD00000011,111,AUR14-C12,2024-01-01,extra",  # 12
        "GOOD00000012,1,NOPE,never",  # 13
    )

    report = serials_import(source=path)

    reasons = dict(report.rejects)
    assert sorted(reasons) == list(range(3, 14))
    assert "invalid SN 'BAD!SN'" in reasons[3]
    assert "invalid CHK '12'" in reasons[4]
    assert "invalid CHK '12a'" in reasons[5]
    assert "unknown model 'NOPE-1'" in reasons[6]
    assert "invalid manufacture date '2024-02-30'" in reasons[7]
    assert "invalid manufacture date '01/02/2024'" in reasons[8]
    assert f"manufacture date {tomorrow.isoformat()} is in the future" in reasons[9]
    assert "duplicate SN GOOD00000001, first seen on line 2" in reasons[10]
    assert "expected 4 fields, found 3" in reasons[11]
    assert "expected 4 fields, found 5" in reasons[12]
    # Every problem of a row at once, so the file can be fixed in one pass.
    assert all(word in reasons[13] for word in ("CHK", "unknown model", "manufacture date"))
    assert (report.rows_read, report.accepted, report.rejected) == (12, 1, 11)
    # The first occurrence wins; nothing of a rejected row reaches the registry.
    assert registry() == {"GOOD00000001": (sn_skeleton("GOOD00000001"), "111", "AUR14-C12", dt.date(2024, 1, 1))}


def test_a_duplicate_of_a_rejected_row_is_still_a_duplicate(laptop_models, write_csv):
    path = write_csv("DUP000000001,99,AUR14-C12,2024-01-01", "DUP000000001,999,AUR14-C12,2024-01-01")

    report = serials_import(source=path)

    assert [line for line, _ in report.rejects] == [2, 3]
    assert "first seen on line 2" in report.rejects[1][1]
    assert not Serial.objects.exists()


def test_running_the_same_file_again_changes_nothing(laptop_models, write_csv):
    path = write_csv(*(f"SN{n:010d},{n % 1000:03d},AUR14-C12,2024-01-{n % 28 + 1:02d}" for n in range(25)))
    first = serials_import(source=path, batch_size=7)
    before = registry()

    again = serials_import(source=path, batch_size=7)

    assert (first.accepted, first.created, first.changed) == (25, 25, 25)
    assert (again.accepted, again.created, again.updated, again.unchanged) == (25, 0, 0, 25)
    assert registry() == before
    assert Serial.objects.count() == 25


def test_a_rerun_writes_only_the_rows_that_changed(laptop_models, write_csv):
    serials_import(source=write_csv("RUN000000001,111,AUR14-C12,2024-01-01", "RUN000000002,222,AUR14-C12,2024-01-01"))
    second = write_csv("RUN000000001,111,AUR14-C12,2024-01-01", "RUN000000002,999,AUR14-C12,2024-01-01")

    with CaptureQueriesContext(connection) as queries:
        serials_import(source=second)

    # Rows already stored as they are never reach the upsert (which on PostgreSQL
    # would lock and rewrite each of them).
    upserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(upserts) == 1
    assert upserts[0].startswith("1 times:")  # executemany of the one changed row


def test_a_changed_chk_in_a_later_file_updates_the_serial(laptop_models, write_csv):
    serials_import(source=write_csv("CHG000000001,111,AUR14-C12,2024-01-01", "CHG000000002,222,AUR14-C12,2024-01-01"))

    report = serials_import(source=write_csv("CHG000000001,333,NMB15-G7,2024-02-02"))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    serial = Serial.objects.get(sn="CHG000000001")
    assert (serial.chk, serial.product_model.code, serial.manufactured_on) == ("333", "NMB15-G7", dt.date(2024, 2, 2))
    assert Serial.objects.get(sn="CHG000000002").chk == "222"
    assert Serial.objects.count() == 2


def test_header_may_have_any_column_order_a_bom_and_blank_lines(laptop_models):
    stream = io.StringIO("\ufeffModel, manufactured_on ,SN,chk\nAUR14-C12,2024-01-01,ORD000000001,123\n\n")

    report = serials_import(source=stream)

    assert (report.rows_read, report.accepted) == (1, 1)
    assert Serial.objects.get(sn="ORD000000001").chk == "123"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("sn,chk,model", "missing column(s): manufactured_on"),
        ("sn,chk,model,manufactured_on,colour", "unexpected column(s): colour"),
        ("sn,chk,model,model,manufactured_on", "repeated column(s): model"),
        ("ABC1234567,123,AUR14-C12,2024-01-01", "missing column(s): sn, chk, model, manufactured_on"),
    ],
)
def test_a_wrong_header_stops_the_import_before_anything_is_written(laptop_models, write_csv, header, message):
    path = write_csv("HDR000000001,123,AUR14-C12,2024-01-01", header=header)

    with pytest.raises(SerialImportError, match=r"Wrong header") as caught:
        serials_import(source=path)

    assert message in str(caught.value)
    assert not Serial.objects.exists()


def test_rejects_kept_in_memory_are_capped_but_all_are_counted_and_passed_on(laptop_models, write_csv, monkeypatch):
    monkeypatch.setattr(services, "MAX_KEPT_REJECTS", 3)
    seen = []

    report = serials_import(source=write_csv(*["X,1,NOPE,x"] * 5), on_reject=lambda line, reason: seen.append(line))

    assert (report.rejected, len(report.rejects), report.rejects_truncated) == (5, 3, True)
    assert seen == [2, 3, 4, 5, 6]


def test_progress_is_reported_per_batch_up_to_the_last_row(laptop_models, write_csv):
    progress: list[int] = []
    path = write_csv(*(f"PRG{n:09d},123,AUR14-C12,2024-01-01" for n in range(5)))

    serials_import(source=path, batch_size=2, on_progress=progress.append)

    assert progress[-1] == 5
    assert progress == sorted(progress)


def test_command_prints_the_summary_and_the_rejected_lines(laptop_models, write_csv, tmp_path):
    path = write_csv("CMD000000001,123,AUR14-C12,2024-01-01", "CMD000000002,12,AUR14-C12,2024-01-01")
    rejects = tmp_path / "rejects.csv"
    out, err = io.StringIO(), io.StringIO()

    call_command("import_serials", str(path), "--rejects", str(rejects), "--batch-size", "1", stdout=out, stderr=err)

    assert "Rows read: 2  accepted: 1 (new 1, updated 0, unchanged 0)  rejected: 1" in out.getvalue()
    assert "line 3: invalid CHK '12'" in err.getvalue()
    with rejects.open(newline="") as stream:
        assert list(csv.reader(stream)) == [["line", "reason"], ["3", "invalid CHK '12' (3 digits)"]]


def test_command_shows_the_first_50_rejects_and_points_to_the_rest(laptop_models, write_csv):
    err = io.StringIO()

    call_command("import_serials", str(write_csv(*["X,1,NOPE,x"] * 60)), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert sum(line.startswith("line ") for line in lines) == 50
    assert "10 more rejected rows" in lines[-1]


def test_command_refuses_a_wrong_header_and_a_missing_file(laptop_models, write_csv, tmp_path):
    with pytest.raises(CommandError, match="Wrong header"):
        call_command("import_serials", str(write_csv(header="serial,chk,model,date")), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_serials", str(tmp_path / "missing.csv"), stdout=io.StringIO())
