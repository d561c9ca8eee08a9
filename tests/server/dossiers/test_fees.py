"""The posted-fee catalogue: the shipped file loads and agrees with the demo's generator, a bad
file is refused saying where, and the one rule context carries the catalogue in use."""

from __future__ import annotations

from datetime import date

import pytest

from server.core.settings import Settings, SettingsError
from server.dossiers.fees import (
    DEFAULT_FEE_CATALOGUE,
    FeeCatalogueInvalid,
    catalogue_in_use,
    fee_catalogue,
    parse_fee_catalogues,
    rule_context,
    shipped_fee_catalogues,
    use_fee_catalogue,
)
from server.dossiers.generator import POSTED_FEES, PROCEDURES
from server.wiring import apply_fee_catalogue

GOOD = """\
catalogues:
  ha-noi:
    province: Thành phố Hà Nội
    resolution: Nghị quyết số 00/2099/NQ-HĐND
    verified: false
    procedures:
      - code: "A.1"
        name: Đăng ký khai sinh
        fee: 0
      - code: "A.2"
        name: Chứng thực bản sao
        fee: 2000
        per: page
      - code: "A.3"
        name: Đăng ký nhận cha, mẹ, con
        fee: 15000
        basis: Nghị quyết số 00/2099/NQ-HĐND
"""


def test_a_good_file_gives_each_catalogue_with_its_comparable_fees() -> None:
    (catalogue,) = parse_fee_catalogues(GOOD).values()

    assert catalogue.key == "ha-noi"
    assert catalogue.province == "Thành phố Hà Nội"
    assert catalogue.verified is False
    assert len(catalogue.procedures) == 3
    # The per-page fee is kept but not posted for the rules: a ledger has no page count.
    assert dict(catalogue.posted_fees) == {"A.1": 0, "A.3": 15_000}


def test_the_shipped_catalogue_is_the_default_and_agrees_with_the_demo_generator() -> None:
    shipped = shipped_fee_catalogues()[DEFAULT_FEE_CATALOGUE]

    assert Settings.model_fields["fee_catalogue"].default == DEFAULT_FEE_CATALOGUE
    assert catalogue_in_use() == shipped
    assert dict(shipped.posted_fees) == POSTED_FEES
    assert {p.code: p.fee for p in shipped.procedures} == {p.code: p.fee for p in PROCEDURES}
    assert {p.code for p in shipped.procedures if p.per == "page"} == {
        p.code for p in PROCEDURES if p.per_page
    }
    # Birth, marriage and death registration are free; copies are certified at 2,000 VND a page.
    assert {shipped.posted_fees[code] for code in ("2.000635", "1.004227", "1.003622")} == {0}
    (copies,) = [p for p in shipped.procedures if p.code == "2.000908"]
    assert (copies.fee, copies.per) == (2_000, "page")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("catalogues: [unclosed", "not valid YAML, line 1"),
        ("- a list", "line 1, the file: Input should be a valid dictionary"),
        ("catalogues: {}", "line 1, catalogues: Dictionary should have at least 1 item"),
        (GOOD.replace("fee: 15000", "fee: -5"), "line 16, catalogues.ha-noi.procedures.2.fee:"),
        (
            GOOD.replace("fee: 15000", 'fee: "15.000"'),
            "line 16, catalogues.ha-noi.procedures.2.fee: Input should be a valid integer",
        ),
        (GOOD.replace("per: page", "per: sheet"), "line 13, catalogues.ha-noi.procedures.1.per:"),
        (
            GOOD.replace("    verified: false\n", ""),
            "line 3, catalogues.ha-noi.verified: Field required",
        ),
        (
            GOOD.replace("    verified: false\n", "    verified: maybe\n"),
            "line 5, catalogues.ha-noi.verified: Input should be a valid boolean",
        ),
        (GOOD.replace('"A.3"', '"A.1"'), "the procedure code 'A.1' is listed twice"),
        (GOOD.replace("basis:", "source:"), "line 17, catalogues.ha-noi.procedures.2.source:"),
        (GOOD.replace("ha-noi", "none"), "'none' is reserved"),
    ],
)
def test_a_bad_file_is_refused_saying_where_and_what(text: str, expected: str) -> None:
    with pytest.raises(FeeCatalogueInvalid) as refused:
        parse_fee_catalogues(text, "test.yaml")

    assert "test.yaml" in refused.value.detail
    assert expected in refused.value.detail


def test_an_unknown_catalogue_key_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(FeeCatalogueInvalid) as refused:
        fee_catalogue("atlantis")

    assert "ninh-binh" in refused.value.detail and "'none'" in refused.value.detail


def test_the_rule_context_carries_the_catalogue_in_use_or_none() -> None:
    end = date(2024, 3, 31)
    assert rule_context(end).posted_fees == shipped_fee_catalogues()["ninh-binh"].posted_fees
    assert rule_context(end).period_end == end
    try:
        assert use_fee_catalogue("none") is None
        assert rule_context(end).posted_fees is None
    finally:
        use_fee_catalogue(DEFAULT_FEE_CATALOGUE)


def test_an_unknown_catalogue_setting_is_a_readable_settings_error() -> None:
    settings = Settings(environment="development", fee_catalogue="atlantis")

    with pytest.raises(SettingsError, match="SPOTCHECK_FEE_CATALOGUE: No fee catalogue 'atlantis'"):
        apply_fee_catalogue(settings)
    assert catalogue_in_use() == shipped_fee_catalogues()[DEFAULT_FEE_CATALOGUE]
