"""The exports, reworked for province scale (issue 13: fewer and larger keyset pages, only the
needed columns, JSON parsed only where a cell needs it), give the same bytes as before, kept in
tests/reports/exports_before.py, for every kind, asker and period, in CSV and in XLSX cells."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reports import exports, summary_controllers
from reports.schemas import ExportKind
from server.core import db
from tests.reports import exports_before
from tests.reports import test_exports as shared
from tests.reports.test_exports import Data, download, parse_xlsx

# The world of tests/reports/test_exports.py (a signed inspection with formula-like notes, manual
# findings and an action with a full history, an unsigned one and a planned visit), built again for
# this module under another name.
exported = shared.data

VIEWERS = ["head_c1", "leader_c1", "leader_d1", "admin"]
PERIODS = [{}, {"period_from": "2020-01-01", "period_to": "2100-12-31"}]


async def both(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    **params: str,
) -> tuple[httpx.Response, httpx.Response]:
    now = await download(client, headers, name, **params)
    with monkeypatch.context() as patch:
        patch.setattr(summary_controllers, "export_service", exports_before)
        before = await download(client, headers, name, **params)
    return now, before


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("kind", [kind.value for kind in ExportKind])
async def test_every_csv_export_is_byte_identical_to_before(
    client: httpx.AsyncClient,
    exported: Data,
    viewer: str,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await exported.sessions(viewer)
    for period in PERIODS:
        now, before = await both(client, headers, f"{kind}.csv", monkeypatch, **period)
        assert now.status_code == before.status_code == 200, now.text
        assert now.content.count(b"\r\n") > 1, "a fixture export with no rows proves nothing"
        assert now.content == before.content


@pytest.mark.parametrize("kind", [kind.value for kind in ExportKind])
async def test_every_xlsx_export_has_the_same_cells_as_before(
    client: httpx.AsyncClient, exported: Data, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now, before = await both(
        client, await exported.sessions("leader_d1"), f"{kind}.xlsx", monkeypatch
    )
    assert parse_xlsx(now) == parse_xlsx(before)
    assert parse_xlsx(now)


async def test_one_row_pages_give_the_same_bytes_as_before(
    client: httpx.AsyncClient, exported: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page boundaries inside an inspection's answers, findings and actions change nothing."""
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    headers = await exported.sessions("leader_d1")
    for kind in ExportKind:
        now, before = await both(client, headers, f"{kind.value}.csv", monkeypatch)
        assert now.content == before.content


@pytest.mark.postgres_only
async def test_on_postgresql_the_rows_come_through_one_cursor(
    client: httpx.AsyncClient, exported: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So the byte-for-byte tests above ran the cursor path on PostgreSQL (keyset pages on
    SQLite): one query per export for its main rows, however many pages it is read in."""
    opened: list[int] = []
    stream = db.stream_select

    def counting(query: Any, page_size: int) -> Any:
        opened.append(page_size)
        return stream(query, page_size)

    monkeypatch.setattr(db, "stream_select", counting)
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    headers = await exported.sessions("leader_d1")
    for kind in ExportKind:
        response = await download(client, headers, f"{kind.value}.csv")
        assert response.status_code == 200, response.text
    assert opened == [1, 1, 1, 1]
