"""A decision is due 14 business days after each (re)submission, on the region's calendar."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import holidays
import pytest
from django.core import mail
from django.urls import reverse

from membercenter.claims.models import Claim
from membercenter.lib.business_days import add_business_days, is_business_day
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim, submit
from tests.factories import UserFactory

ID_2025 = holidays.country_holidays("ID", years=2025)
ID_2026 = holidays.country_holidays("ID", years=2026)
CHRISTMAS_2025 = dt.date(2025, 12, 25)  # a Thursday
INDEPENDENCE_DAY_2026 = dt.date(2026, 8, 17)  # a Monday
NYEPI_2026 = dt.date(2026, 3, 19)  # Day of Silence, a Thursday
GOOD_FRIDAY_2026 = dt.date(2026, 4, 3)


def test_the_chosen_days_are_indonesian_public_holidays_on_weekdays():
    assert CHRISTMAS_2025 in ID_2025 and INDEPENDENCE_DAY_2026 in ID_2026
    assert NYEPI_2026 in ID_2026 and GOOD_FRIDAY_2026 in ID_2026
    assert all(d.weekday() < 5 for d in (CHRISTMAS_2025, INDEPENDENCE_DAY_2026, NYEPI_2026, GOOD_FRIDAY_2026))


def test_business_days_skip_weekends_and_public_holidays():
    assert is_business_day(dt.date(2026, 8, 19), country="ID")  # an ordinary Wednesday
    assert not is_business_day(dt.date(2026, 8, 15), country="ID")  # Saturday
    assert not is_business_day(dt.date(2026, 8, 16), country="ID")  # Sunday
    assert not is_business_day(INDEPENDENCE_DAY_2026, country="ID")
    # Another country's calendar does not apply: 17 August is a working Monday in Singapore.
    assert is_business_day(INDEPENDENCE_DAY_2026, country="SG")


def test_one_business_day_over_a_holiday():
    assert add_business_days(dt.date(2025, 12, 24), 1, country="ID") == dt.date(2025, 12, 26)


def test_one_business_day_over_a_weekend_and_a_holiday_monday():
    assert add_business_days(dt.date(2026, 8, 14), 1, country="ID") == dt.date(2026, 8, 18)
    assert add_business_days(dt.date(2026, 8, 14), 1, country="SG") == dt.date(2026, 8, 17)


def test_fourteen_business_days_over_two_holidays_and_weekends():
    # Mon 16 Mar 2026: without holidays it would be Fri 3 Apr; Nyepi and Good Friday push it to Tue 7 Apr.
    assert add_business_days(dt.date(2026, 3, 16), 14, country="ID") == dt.date(2026, 4, 7)
    assert add_business_days(dt.date(2026, 3, 16), 14, country="SG") == dt.date(2026, 4, 6)  # Good Friday only


def test_the_start_day_is_not_counted_and_weekend_starts_count_from_monday():
    assert add_business_days(dt.date(2026, 8, 19), 0, country="ID") == dt.date(2026, 8, 19)
    assert add_business_days(dt.date(2026, 8, 22), 1, country="ID") == dt.date(2026, 8, 24)  # Sat → Mon


def test_the_countrys_own_weekend_is_used():
    # Saudi Arabia rests on Friday and Saturday: Thursday + 1 business day is Sunday.
    assert add_business_days(dt.date(2026, 10, 1), 1, country="SA") == dt.date(2026, 10, 4)


def test_a_country_without_a_holiday_calendar_counts_weekends_only():
    assert add_business_days(dt.date(2026, 8, 14), 1, country="ZZ") == dt.date(2026, 8, 17)


SUBMITTED_ON = dt.date(2026, 3, 16)
DUE_ON = dt.date(2026, 4, 7)


@pytest.mark.django_db
def test_a_claims_decision_is_due_fourteen_business_days_after_submission(django_capture_on_commit_callbacks):
    member = UserFactory()
    with mock.patch("membercenter.claims.services.region_today", return_value=SUBMITTED_ON):
        with django_capture_on_commit_callbacks(execute=True):
            claim = submit(member, PromotionFactory(), [eligible_product(member)])
    assert claim.due_on == DUE_ON
    assert "You can expect a decision by 7 April 2026." in mail.outbox[0].body


@pytest.mark.django_db
def test_the_member_sees_the_expected_decision_date_in_redeem_history(client):
    member = UserFactory()
    with mock.patch("membercenter.claims.services.region_today", return_value=SUBMITTED_ON):
        submit(member, PromotionFactory(), [eligible_product(member)])
    answered = make_claim(product=eligible_product(member), status=Claim.Status.SENT_BACK)
    Claim.objects.filter(pk=answered.pk).update(due_on=dt.date(2026, 1, 2))
    client.force_login(member)
    page = client.get(reverse("claims:history")).content.decode()
    assert "Decision expected by 2026-04-07" in page
    assert "2026-01-02" not in page  # a claim waiting for the member has no decision date
