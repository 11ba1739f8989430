from datetime import date

import pytest
from marshmallow import ValidationError

from erp.ledger import service
from erp.ledger.schemas import JournalEntrySchema, ManualEntrySchema, TrialBalanceRowSchema
from erp.ledger.service import credit, debit
from tests.erp.ledger.conftest import entry


def _manual(*lines):
    return {
        "entry_date": "2025-03-15",
        "description": "Koreksi kas",
        "idempotency_key": "m-1",
        "lines": list(lines),
    }


def test_a_manual_entry_accepts_whole_rupiah_as_numbers_or_with_thousands_dots(app):
    loaded = ManualEntrySchema().load(
        _manual(
            {"account_code": "1-1100", "debit": "1.500.000"}, {"account_code": "3-1000", "credit": 1_500_000}
        )
    )
    assert loaded["entry_date"] == date(2025, 3, 15)
    assert [(line["debit"], line["credit"]) for line in loaded["lines"]] == [(1_500_000, 0), (0, 1_500_000)]


@pytest.mark.parametrize("amount", [1000.5, 1000.0, True, "1.000,50", "-1000", -1000, "seribu"])
def test_a_manual_entry_refuses_amounts_that_are_not_whole_rupiah(app, amount):
    with pytest.raises(ValidationError) as err:
        ManualEntrySchema().load(
            _manual({"account_code": "1-1100", "debit": amount}, {"account_code": "3-1000", "credit": 1000})
        )
    assert "debit" in err.value.messages["lines"][0]


def test_a_manual_entry_refuses_a_line_on_both_sides_and_an_unbalanced_total(app):
    with pytest.raises(ValidationError) as err:
        ManualEntrySchema().load(
            _manual(
                {"account_code": "1-1100", "debit": 10, "credit": 10},
                {"account_code": "3-1000", "credit": 10},
            )
        )
    assert str(err.value.messages["lines"][0]["debit"][0]) == "Isi tepat satu sisi, debit atau kredit."
    with pytest.raises(ValidationError) as err:
        ManualEntrySchema().load(
            _manual({"account_code": "1-1100", "debit": 10}, {"account_code": "3-1000", "credit": 9})
        )
    assert str(err.value.messages["lines"][0]) == "Jurnal tidak seimbang: debit Rp 10, kredit Rp 9."


def test_a_posted_entry_and_the_trial_balance_dump_as_plain_values(books):
    posted = service.post(entry("dump-1", debit("1-1100", 5_000), credit("3-1000", 5_000)))
    dumped = JournalEntrySchema().dump(posted)
    assert dumped["entry_date"] == "2025-03-15"
    assert dumped["lines"] == [
        {"account_code": "1-1100", "debit": 5_000, "credit": 0, "memo": None},
        {"account_code": "3-1000", "debit": 0, "credit": 5_000, "memo": None},
    ]
    rows = TrialBalanceRowSchema(many=True).dump(service.trial_balance(date(2025, 3, 31)))
    assert rows[0] == {"code": "1-1100", "name": "Kas", "debit": 5_000, "credit": 0}
