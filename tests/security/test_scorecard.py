"""The scorecard plumbing itself: targets, the table, and the check against docs/security.md."""

from __future__ import annotations

import pytest

from tests import scorecard as sc


def test_targets():
    assert sc.BY_KEY["authz.mismatches"].meets(0)
    assert not sc.BY_KEY["authz.mismatches"].meets(1)
    assert sc.BY_KEY["enumeration.timing_gap_ms"].meets(7.9)
    assert not sc.BY_KEY["enumeration.timing_gap_ms"].meets(8.0)
    assert sc.BY_KEY["authz.cases"].meets(12345)


def test_a_key_must_be_dotted_and_a_value_a_number():
    card = sc.Scorecard()
    with pytest.raises(ValueError):
        card.record("Authz cases", 1)
    with pytest.raises(TypeError):
        card.record("authz.cases", True)
    card.record("authz.cases", 7)
    assert card.figures["authz.cases"]["value"] == 7


def _store(**values):
    return {key.replace("__", "."): {"value": v, "test": "tests/x.py::t"} for key, v in values.items()}


def test_check_fails_on_a_missed_target_a_missing_figure_and_a_stale_doc(tmp_path, monkeypatch, capsys):
    store = {f.key: {"value": 0, "test": "tests/x.py::t"} for f in sc.FIGURES}
    store["statemachine.examples"]["value"] = 40
    store["statemachine.steps"]["value"] = 900
    doc = tmp_path / "security.md"
    doc.write_text(f"# x\n{sc.BEGIN}\n{sc.render_table(store)}\n{sc.END}\n")
    monkeypatch.setattr(sc, "DOC", doc)
    monkeypatch.setattr(sc, "store_load", lambda: store)
    assert sc.check() == 0

    store["authz.mismatches"]["value"] = 2  # a missed target (and the doc says 0)
    del store["bandit.high"]  # not recorded
    store["authz.cases"]["value"] = 99  # the doc is stale
    assert sc.check() == 1
    out = capsys.readouterr().out
    assert "authz.mismatches: 2 misses the target == 0" in out
    assert "bandit.high: not recorded" in out
    assert "authz.cases: docs/security.md says '0', the tests measured '99'" in out


def test_timings_may_differ_from_the_doc(tmp_path, monkeypatch):
    store = {f.key: {"value": 0, "test": ""} for f in sc.FIGURES}
    store["statemachine.examples"]["value"] = 40
    store["statemachine.steps"]["value"] = 900
    store["enumeration.timing_gap_ms"]["value"] = 1.5
    doc = tmp_path / "security.md"
    doc.write_text(f"{sc.BEGIN}\n{sc.render_table(store)}\n{sc.END}\n")
    store["enumeration.timing_gap_ms"]["value"] = 2.5
    store["statemachine.examples"]["value"] = 55
    store["extra.info"] = {"value": 3, "test": ""}
    monkeypatch.setattr(sc, "DOC", doc)
    monkeypatch.setattr(sc, "store_load", lambda: store)
    assert sc.check() == 0
