"""The cache of rendered documents keeps the most recently used within its count and byte bounds."""

from __future__ import annotations

from reports.rendering import RenderedCache


def test_the_least_recently_used_document_goes_first_beyond_the_count() -> None:
    cache = RenderedCache(max_entries=2, max_bytes=1000)
    cache.put("a", b"A")
    cache.put("b", b"B")
    assert cache.get("a") == b"A"  # now "b" is the least recently used

    cache.put("c", b"C")

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"A", None, b"C")
    assert (cache.hits, cache.misses) == (3, 1)


def test_documents_beyond_the_byte_bound_push_out_older_ones_or_are_not_kept() -> None:
    cache = RenderedCache(max_entries=10, max_bytes=10)
    cache.put("a", b"x" * 6)
    cache.put("b", b"y" * 6)  # 12 bytes in all: "a" goes
    cache.put("huge", b"z" * 11)  # larger than the whole cache: not kept, nothing dropped

    assert cache.get("a") is None
    assert cache.get("b") == b"y" * 6
    assert cache.get("huge") is None
    assert len(cache) == 1


def test_a_document_put_again_replaces_the_old_one_and_its_size() -> None:
    cache = RenderedCache(max_entries=10, max_bytes=10)
    cache.put("a", b"x" * 8)
    cache.put("a", b"y" * 2)
    cache.put("b", b"z" * 8)

    assert cache.get("a") == b"y" * 2 and cache.get("b") == b"z" * 8


def test_a_document_older_than_the_maximum_age_is_rendered_again() -> None:
    now = [1000.0]
    cache = RenderedCache(max_age_seconds=600, clock=lambda: now[0])
    cache.put("a", b"A")

    now[0] += 599
    assert cache.get("a") == b"A"
    now[0] += 2  # 601 seconds after it was rendered
    assert cache.get("a") is None
    assert len(cache) == 0


def test_documents_past_their_age_are_dropped_when_another_is_put() -> None:
    # Never served again, they would hold memory until the count or byte bound pushed them out.
    now = [1000.0]
    cache = RenderedCache(max_entries=10, max_bytes=1000, max_age_seconds=600, clock=lambda: now[0])
    cache.put("old", b"x" * 100)
    now[0] += 300
    cache.put("recent", b"y" * 100)
    now[0] += 301  # "old" is 601 seconds old, "recent" 301

    cache.put("new", b"z" * 100)

    assert len(cache) == 2
    assert (cache.get("recent"), cache.get("new")) == (b"y" * 100, b"z" * 100)
