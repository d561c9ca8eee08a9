"""The canonical form of a checklist version: the bytes that are hashed, stored and compared.

Two files that mean the same thing (keys in another order, defaults left out or spelled out,
comments, quoting, composed or decomposed Vietnamese diacritics) give the same bytes, so the
content hash identifies a checklist version by its meaning, not by its formatting.
"""

from __future__ import annotations

import hashlib
import json

from checklists.format import ChecklistTemplate


def canonical_json(template: ChecklistTemplate) -> bytes:
    """UTF-8 JSON with sorted keys, no whitespace, real characters (not \\u escapes), dates in ISO
    form and every default spelled out."""
    document = template.model_dump(mode="json")
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_sha256(template: ChecklistTemplate) -> str:
    """Hex SHA-256 of `canonical_json(template)`."""
    return hashlib.sha256(canonical_json(template)).hexdigest()
