from __future__ import annotations

import hashlib
import json
import unicodedata

from checklists.canonical import canonical_json, content_sha256
from checklists.format import ChecklistTemplate
from checklists.templates import TEMPLATES_DIR
from checklists.validator import load_template
from tests.checklists.test_validator import VALID


def test_canonical_json_is_compact_sorted_utf8() -> None:
    canonical = canonical_json(load_template(VALID))
    text = canonical.decode("utf-8")
    assert "Kiểm tra" in text  # real characters, not \\u escapes
    assert ": " not in text and ", " not in text.replace("Kiểm tra, ", "")
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert (
        json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        == canonical
    )
    assert document["sections"][0]["items"][0]["points"] == 2  # integral points stay integers
    assert content_sha256(load_template(VALID)) == hashlib.sha256(canonical).hexdigest()


def test_formatting_does_not_change_the_hash() -> None:
    reformatted = "# a comment\n" + VALID.replace("version: 1\n", "").replace(
        "key: demo\n", "key: demo\nversion: 1\naction_due_days: {critical: 7}\n"
    ).replace("{vi: Kiểm tra, en: Check}", '{en: "Check", vi: "Kiểm tra"}').replace(
        "        points: 2\n", "        points: 2.0\n"
    )
    assert content_sha256(load_template(reformatted)) == content_sha256(load_template(VALID))


def test_decomposed_diacritics_give_the_same_hash() -> None:
    decomposed = unicodedata.normalize("NFD", VALID)
    assert decomposed != VALID
    assert content_sha256(load_template(decomposed)) == content_sha256(load_template(VALID))


def test_content_changes_change_the_hash() -> None:
    changed = VALID.replace("{vi: Có mặt, en: Present}", "{vi: Có mặt, en: Present at post}")
    assert content_sha256(load_template(changed)) != content_sha256(load_template(VALID))


def test_dates_are_iso() -> None:
    with_period = VALID.replace(
        "    title: {vi: Chỉ thị 26, en: Directive 26}",
        "    title: {vi: Chỉ thị 26, en: Directive 26}\n    applies_to: 2025-06-30",
    )
    assert b'"applies_to":"2025-06-30"' in canonical_json(load_template(with_period))


def test_canonical_json_reads_back_as_the_same_template() -> None:
    # The server stores the canonical JSON of a version and rebuilds the template from it.
    shipped = load_template((TEMPLATES_DIR / "one-stop-shop.yaml").read_text(encoding="utf-8"))
    for template in (shipped, load_template(VALID)):
        again = ChecklistTemplate.model_validate(json.loads(canonical_json(template)))
        assert again == template
        assert canonical_json(again) == canonical_json(template)
