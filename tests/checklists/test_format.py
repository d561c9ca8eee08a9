from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import checklists
from checklists.format import json_schema, json_schema_text
from checklists.validator import validate_text

PACKAGE = Path(checklists.__file__).parent


def test_shipped_schema_file_is_up_to_date() -> None:
    shipped = (PACKAGE / "checklist.schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema_text(), (
        "run: python -m checklists.format > checklists/checklist.schema.json"
    )


def test_module_prints_the_schema() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "checklists.format"], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(printed) == json_schema()


def test_schema_describes_the_format() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    items = schema["$defs"]["Section"]["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "answer_type"
    assert set(items["discriminator"]["mapping"]) == {
        "yes_no_na",
        "yes_no",
        "choice",
        "count",
        "percent",
        "number",
        "text",
        "date",
        "photo",
        "signature",
    }
    assert schema["$defs"]["LocalizedText"]["required"] == ["vi", "en"]


def test_readme_example_is_valid() -> None:
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    assert validate_text(example.group(1), "README.md") == []
