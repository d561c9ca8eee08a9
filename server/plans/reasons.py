"""A candidate's draw weight in words, vi and en: one reason per term that adds to the weight
("12,4% hồ sơ bị gắn cờ (41/330)", "Tồn đọng 7 hồ sơ quá hạn"). Pure: the words come from the
same inputs and terms the draw uses, so a sealed plan shows the reasons it was drawn with."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.plans.draw import RiskInputs, RiskInputsV2, WeightTerms


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    term: Decimal
    vi: str
    en: str


def _vi(value: float, digits: int = 1) -> str:
    return _en(value, digits).replace(".", ",")


def _en(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _percent(part: int, whole: int) -> tuple[str, str]:
    share = 100 * part / whole
    return f"{_vi(share)}%", f"{_en(share)}%"


def weight_reasons(inputs: RiskInputs, terms: WeightTerms) -> list[Reason]:
    """The reasons for the terms of ``terms`` (from ``draw.risk_weight_terms``) above zero."""
    reasons: list[Reason] = []

    def add(code: str, term: Decimal | None, vi: str, en: str) -> None:
        if term is not None and term > 0:
            reasons.append(Reason(code, term, vi, en))

    if inputs.last_score is None:
        add("score", terms.score, "Chưa từng được chấm điểm", "Never scored")
    else:
        add(
            "score",
            terms.score,
            f"Điểm lần kiểm tra trước {_vi(inputs.last_score, 2)}",
            f"Last score {_en(inputs.last_score, 2)}",
        )
    add(
        "open_actions",
        terms.open_actions,
        f"{inputs.open_actions} yêu cầu khắc phục chưa xong",
        f"{inputs.open_actions} open corrective action(s)",
    )
    add(
        "overdue_actions",
        terms.overdue_actions,
        f"{inputs.overdue_actions} yêu cầu khắc phục quá hạn",
        f"{inputs.overdue_actions} overdue corrective action(s)",
    )
    add(
        "critical_findings",
        terms.critical_findings,
        f"{inputs.critical_findings_12m} phát hiện nghiêm trọng trong 12 tháng",
        f"{inputs.critical_findings_12m} critical finding(s) in 12 months",
    )
    if inputs.days_since_last_visit is None:
        add("time_since_visit", terms.time_since_visit, "Chưa từng được kiểm tra", "Never visited")
    else:
        add(
            "time_since_visit",
            terms.time_since_visit,
            f"{inputs.days_since_last_visit} ngày kể từ lần kiểm tra trước",
            f"{inputs.days_since_last_visit} days since the last visit",
        )
    if isinstance(inputs, RiskInputsV2):
        reasons += _dossier_reasons(inputs, terms)
    return reasons


def _dossier_reasons(inputs: RiskInputsV2, terms: WeightTerms) -> list[Reason]:
    facts = inputs.dossiers
    neutral = "(trung tính: chưa có sổ theo dõi hồ sơ trong kỳ)"
    neutral_en = "(neutral: no dossier ledger for the period)"
    found: list[Reason] = []
    if facts is None:
        for code, term, vi, en in (
            ("flagged_dossiers", terms.flagged_dossiers, "Hồ sơ bị gắn cờ", "Flagged dossiers"),
            ("late_dossiers", terms.late_dossiers, "Hồ sơ trễ hạn", "Late dossiers"),
            ("backlog", terms.backlog, "Tồn đọng", "Backlog"),
        ):
            assert term is not None
            found.append(Reason(code, term, f"{vi} {neutral}", f"{en} {neutral_en}"))
        return found
    if terms.flagged_dossiers:
        if facts.dossiers:
            vi, en = _percent(facts.flagged, facts.dossiers)
            found.append(
                Reason(
                    "flagged_dossiers",
                    terms.flagged_dossiers,
                    f"{vi} hồ sơ bị gắn cờ ({facts.flagged}/{facts.dossiers})",
                    f"{en} of dossiers flagged ({facts.flagged} of {facts.dossiers})",
                )
            )
        else:
            found.append(
                Reason(
                    "flagged_dossiers",
                    terms.flagged_dossiers,
                    "Không tiếp nhận hồ sơ nào trong kỳ: gắn cờ trung tính",
                    "No dossier received in the period: flagged term neutral",
                )
            )
    if terms.late_dossiers:
        if facts.resolved:
            vi, en = _percent(facts.resolved_on_time, facts.resolved)
            found.append(
                Reason(
                    "late_dossiers",
                    terms.late_dossiers,
                    f"{vi} hồ sơ giải quyết đúng hạn ({facts.resolved_on_time}/{facts.resolved})",
                    f"{en} of dossiers resolved on time ({facts.resolved_on_time} of "
                    f"{facts.resolved})",
                )
            )
        else:
            found.append(
                Reason(
                    "late_dossiers",
                    terms.late_dossiers,
                    "Không giải quyết hồ sơ nào trong kỳ: trễ hạn trung tính",
                    "No dossier resolved in the period: late term neutral",
                )
            )
    if terms.backlog:
        found.append(
            Reason(
                "backlog",
                terms.backlog,
                f"Tồn đọng {facts.backlog} hồ sơ quá hạn",
                f"Backlog of {facts.backlog} overdue dossier(s)",
            )
        )
    return found
