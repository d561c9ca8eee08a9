"""The canonical form of a checklist version: the bytes that are hashed, stored and compared.

Two files that mean the same thing (keys in another order, defaults left out or spelled out,
comments, quoting, composed or decomposed Vietnamese diacritics) give the same bytes, so the
content hash identifies a checklist version by its meaning, not by its formatting.
"""

from __future__ import annotations

from checklists.format import ChecklistTemplate
from server.core import canonical


def canonical_json(template: ChecklistTemplate) -> bytes:
    """UTF-8 JSON with sorted keys, no whitespace, real characters (not \\u escapes), dates in ISO
    form and every default spelled out."""
    return canonical.canonical_json(
        template.model_dump(mode="json"), version=canonical.CANONICAL_V1
    )


def content_sha256(template: ChecklistTemplate) -> str:
    """Hex SHA-256 of `canonical_json(template)`."""
    return canonical.canonical_sha256(
        template.model_dump(mode="json"), version=canonical.CANONICAL_V1
    )
