"""The conformance vectors against the Python engine, and the committed file against the generator.

The phone's TypeScript engine runs the same file (`mobile_app/tests/conformance.test.ts`), so a rule
changed here without regenerating would let the two engines drift apart.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Any

import pytest

from checklists import conformance, expressions
from checklists.canonical import canonical_json
from checklists.format import ChecklistTemplate
from checklists.scoring import Answer, InvalidAnswers, Outcome, check_answer, score

REGENERATE = "run `python -m checklists.conformance` and commit checklists/conformance/vectors.json"


@cache
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(conformance.VECTORS_PATH.read_text(encoding="utf-8"))
    return data


@cache
def template(name: str) -> ChecklistTemplate:
    # As the server reads a published version back: from its canonical JSON.
    return ChecklistTemplate.model_validate(vectors()["templates"][name]["content"])


def test_committed_vectors_are_what_the_generator_writes_now() -> None:
    expected = conformance.render(conformance.build_vectors())
    committed = conformance.VECTORS_PATH.read_text(encoding="utf-8")
    if committed != expected:
        changed = [
            number
            for number, (old, new) in enumerate(
                zip(committed.splitlines(), expected.splitlines(), strict=False), 1
            )
            if old != new
        ]
        pytest.fail(
            f"checklists/conformance/vectors.json is stale (first changed line: "
            f"{changed[0] if changed else 'at the end'}); {REGENERATE}",
            pytrace=False,
        )


def test_the_file_holds_every_kind_of_vector() -> None:
    data = vectors()
    errors = [vector for vector in data["expressions"] if "error" in vector]
    cases = [case for vector in data["expressions"] for case in vector.get("cases", [])]
    assert len(errors) > 200 and len(cases) > 1000
    assert len(data["answer_sets"]) > 150
    assert any("problems" in vector for vector in data["answer_sets"])
    assert len(data["check_answer"]) > 300
    shipped = [v for v in data["answer_sets"] if v["template"] == conformance.SHIPPED_TEMPLATE]
    assert sum(vector["name"].startswith("random") for vector in shipped) >= 40
    outcomes = {
        item["outcome"]
        for vector in data["answer_sets"]
        if "result" in vector
        for item in vector["result"]["items"]
    }
    assert outcomes == {outcome.value for outcome in Outcome}


@pytest.mark.parametrize("name", [conformance.SHIPPED_TEMPLATE, *conformance.SYNTHETIC_TEMPLATES])
def test_templates_are_in_canonical_form(name: str) -> None:
    content = vectors()["templates"][name]["content"]
    assert json.loads(canonical_json(template(name))) == content


def test_expressions() -> None:
    for vector in vectors()["expressions"]:
        text = vector["expression"]
        if "error" in vector:
            with pytest.raises(expressions.ExpressionError) as caught:
                expressions.parse(text)
            actual = {"message": caught.value.message, "column": caught.value.column}
            assert actual == vector["error"], text
            continue
        tree = expressions.parse(text)
        assert sorted(expressions.references(tree)) == vector["references"], text
        for case in vector["cases"]:
            assert expressions.evaluate(tree, case["facts"]) is case["result"], (text, case)


def test_answer_sets() -> None:
    for vector in vectors()["answer_sets"]:
        answers = {key: Answer.model_validate(each) for key, each in vector["answers"].items()}
        day = date.fromisoformat(vector["inspected_on"]) if vector["inspected_on"] else None
        label = f"{vector['template']}: {vector['name']}"
        try:
            result = score(template(vector["template"]), answers, inspected_on=day)
        except InvalidAnswers as error:
            assert [problem.model_dump() for problem in error.problems] == vector.get("problems"), (
                label
            )
            continue
        assert result.model_dump(mode="json") == vector["result"], label
        visible = [item.key for item in result.items if item.outcome != Outcome.HIDDEN]
        assert visible == vector["visible"], label


def test_check_answer() -> None:
    for vector in vectors()["check_answer"]:
        item = template(vector["template"]).item(vector["item"])
        message = check_answer(item, Answer.model_validate(vector["answer"]))
        assert message == vector["message"], vector
