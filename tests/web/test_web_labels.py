"""Every value of the services' enumerations that the pages label has its label: a value a service
adds shows here first, not as a raw code on a page."""

from __future__ import annotations

import pytest

from web.labels import LABELLED, STATUS_ACTIONS, label


@pytest.mark.parametrize("enumeration", list(LABELLED), ids=lambda kind: kind.__name__)
def test_every_value_of_the_enumeration_has_a_label(enumeration):
    labels = LABELLED[enumeration]
    assert [value for value in enumeration if value not in labels] == []


def test_a_status_a_vacancy_moves_to_has_its_button():
    from collective_clients.recruitment.models import VacancyStatus

    assert set(STATUS_ACTIONS) == set(VacancyStatus) - {VacancyStatus.draft}


def test_a_value_without_a_label_reads_as_words():
    assert label({}, "mmi_station") == "Mmi station"
