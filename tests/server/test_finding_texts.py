"""Findings from failed items, as stored and as their corrective actions read them: in the words of
the item's finding text when it has one, and in the old words (the requirement) when it has not."""

from __future__ import annotations

from typing import Any

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from checklists.services import SHIPPED_TEMPLATES_DIR
from checklists.validator import load_template
from server.core.audit import services as audit_service
from tests.conftest import World
from tests.helpers import run_to_signed

NOTE = "Quan sát trực tiếp tại quầy"  # the note answer_ops gives every answer


async def publish_without_finding_texts_or_actions() -> ChecklistTemplate:
    """The shipped checklist as a custom one written before finding texts: no `finding`, and no
    `default_action` either, so the corrective action is titled from the finding itself."""
    shipped = load_template((SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml").read_text("utf-8"))
    data: dict[str, Any] = shipped.model_dump(mode="json")
    data["version"] = shipped.version + 1
    for section in data["sections"]:
        for item in section["items"]:
            item.pop("finding", None)
            item.pop("default_action", None)
    template = ChecklistTemplate.model_validate(data)
    await checklist_service.publish(template, actor=audit_service.Actor(id=None, label="test"))
    return template


async def findings_and_actions(client, world: World, inspection_id: str) -> tuple[dict, dict]:
    leader = await world.login(client, "leader_d1")
    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=leader)).json()
    findings = {finding["item_key"]: finding for finding in detail["findings"]}
    actions = (await client.get("/api/v1/actions", headers=leader)).json()
    return findings, {action["finding_id"]: action for action in actions}


async def test_a_template_without_finding_texts_words_findings_and_actions_as_before(
    client, world: World
) -> None:
    template = await publish_without_finding_texts_or_actions()
    inspection_id = await run_to_signed(client, world, "C1", {"A2"})
    findings, actions = await findings_and_actions(client, world, inspection_id)
    requirement = template.item("A2").text
    assert findings["A2"]["description"] == f"{requirement.vi} — {NOTE}"
    assert findings["A2"]["description_en"] == requirement.en
    action = actions[findings["A2"]["id"]]
    assert action["title_vi"] == f"Khắc phục: {requirement.vi} — {NOTE}"


async def test_a_count_item_with_a_finding_text_says_the_count_in_both_languages(
    client, world: World
) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"A2", "D5"})
    findings, actions = await findings_and_actions(client, world, inspection_id)
    assert findings["A2"]["description"].startswith("Có 99 trường hợp đi muộn")
    assert findings["A2"]["description"].endswith(f" — {NOTE}")
    assert findings["A2"]["description_en"] == (
        "99 cases of late arrival, early leave or unexplained absence against the attendance "
        f"log — {NOTE}"
    )
    # D5 is a lower-is-better share: the finding gives the share that was observed.
    assert findings["D5"]["description"].startswith(
        "Tỷ lệ hồ sơ giải quyết quá hạn trong kỳ là 100% (10/10)"
    )
    assert findings["A2"]["id"] in actions
