"""Publishing checklist versions over HTTP and the CLI: immutable, idempotent, validated."""

from __future__ import annotations

from pathlib import Path

from checklists.services import SHIPPED_TEMPLATES_DIR
from checklists.validator import validate_text
from tests.conftest import Spotcheck, World, problem_detail
from tests.helpers import create_plan_for

SHIPPED = SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml"


def changed_title(text: str) -> str:
    return text.replace("vi: ", "vi: (sửa) ", 1)


async def test_publish_is_idempotent_and_a_published_version_never_changes(
    client, world: World
) -> None:
    admin = await world.login(client, "admin")
    text = SHIPPED.read_text(encoding="utf-8")
    first = await client.post("/api/v1/checklists", content=text.encode(), headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "published"
    again = await client.post("/api/v1/checklists", content=text.encode(), headers=admin)
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["version"] == first.json()["version"]

    changed = await client.post(
        "/api/v1/checklists", content=changed_title(text).encode(), headers=admin
    )
    assert changed.status_code == 409
    assert "new version number" in problem_detail(changed)

    listing = (await client.get("/api/v1/checklists", headers=admin)).json()
    assert [(t["template_key"], len(t["versions"])) for t in listing] == [("one-stop-shop", 1)]
    version_id = first.json()["version"]["id"]
    content = (await client.get(f"/api/v1/checklists/versions/{version_id}", headers=admin)).json()
    assert content["content_sha256"] == first.json()["version"]["content_sha256"]
    assert len(content["content"]["sections"]) == 7


async def test_a_broken_file_is_refused_with_every_error_and_its_line(client, world: World) -> None:
    admin = await world.login(client, "admin")
    broken = SHIPPED.read_text(encoding="utf-8").replace("points: 4", "points: four", 1)
    broken = broken.replace("version: 4", "version: 4\nsurprise: true", 1)
    response = await client.post("/api/v1/checklists", content=broken.encode(), headers=admin)
    assert response.status_code == 422
    issues = response.json()["issues"]
    assert len(issues) >= 2
    assert all(issue["line"] >= 1 for issue in issues)
    assert any("surprise" in issue["message"] or "surprise" in issue["path"] for issue in issues)
    assert (await client.get("/api/v1/checklists", headers=admin)).json() == []


async def test_only_admins_publish(client, world: World) -> None:
    leader = await world.login(client, "leader_p")
    response = await client.post("/api/v1/checklists", content=SHIPPED.read_bytes(), headers=leader)
    assert response.status_code == 403


async def test_an_inspection_keeps_the_version_it_was_planned_with(client, world: World) -> None:
    plan = await create_plan_for(client, world, "C1")
    admin = await world.login(client, "admin")
    text = SHIPPED.read_text(encoding="utf-8").replace("version: 4", "version: 5", 1)
    v5 = await client.post(
        "/api/v1/checklists", content=changed_title(text).encode(), headers=admin
    )
    assert v5.status_code == 201, v5.text
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    assert boot["assignments"][0]["checklist_version_id"] == plan["checklist_version_id"]
    assert [v["version"] for v in boot["checklist_versions"]] == [4]


async def test_cli_publish_twice_is_a_no_op_and_changed_content_fails(
    spotcheck: Spotcheck, clean_database: None, tmp_path: Path
) -> None:
    first = spotcheck("checklists", "publish", str(SHIPPED))
    assert first.returncode == 0, first.stderr
    assert "published one-stop-shop v4" in first.stdout
    second = spotcheck("checklists", "publish", str(SHIPPED))
    assert second.returncode == 0
    assert "unchanged one-stop-shop v4" in second.stdout
    edited = tmp_path / "edited.yaml"
    edited.write_text(changed_title(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    third = spotcheck("checklists", "publish", str(edited))
    assert third.returncode == 1
    assert "already published with different content" in third.stderr


async def test_every_validator_issue_is_structured_data_with_line_and_column(
    client, world: World
) -> None:
    admin = await world.login(client, "admin")
    shipped = SHIPPED.read_text(encoding="utf-8")
    broken = shipped.replace("points: 4", "points: four", 1)
    broken = broken.replace("version: 4", "version: 4\nsurprise: true", 1)
    syntax = shipped.replace("version: 4", "version: [4", 1)
    bodies = []
    for text in (broken, syntax):
        response = await client.post("/api/v1/checklists", content=text.encode(), headers=admin)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        expected = [issue.model_dump() for issue in validate_text(text, "upload.yaml")]
        assert expected
        assert body["issues"] == expected  # every issue, not only those in the detail text
        for issue in body["issues"]:
            assert set(issue) == {"file", "line", "column", "path", "message"}
            assert issue["line"] >= 1 and issue["column"] >= 1
            assert f"line {issue['line']}, column {issue['column']}" in body["detail"]
        bodies.append(body)
    (surprise,) = [i for i in bodies[0]["issues"] if "surprise" in i["path"] + i["message"]]
    assert broken.splitlines()[surprise["line"] - 1].startswith("surprise")
    assert surprise["column"] == 1


async def test_the_openapi_documents_the_issues_of_a_refused_checklist(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    refused = schema["paths"]["/api/v1/checklists"]["post"]["responses"]["422"]
    (content,) = refused["content"].values()
    reference = content["schema"]["$ref"].rsplit("/", 1)[1]
    problem = schema["components"]["schemas"][reference]
    assert "issues" in problem["properties"]
