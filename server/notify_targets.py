"""Validating and masking Apprise notification URLs. They carry secrets: never log or return them."""

from __future__ import annotations

import apprise

from server.errors import InvalidInput


def validate_targets(urls: list[str], *, field: str) -> list[str]:
    cleaned: list[str] = []
    for index, url in enumerate(urls):
        url = url.strip()
        if not url or apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
            scheme = url.split("://", 1)[0] if "://" in url else "(none)"
            raise InvalidInput(
                f"{field}[{index}] is not a notification URL Apprise understands "
                f"(scheme {scheme!r}); use e.g. mailto://user:pass@host or json://host/path",
                extra={"invalid_params": [{"name": f"{field}[{index}]", "reason": "not valid"}]},
            )
        cleaned.append(url)
    return cleaned


def mask_target(url: str) -> str:
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return url.split("://", 1)[0] + "://***"
    # The query string can hold tokens and custom headers (json://…?+X-Token=…); leave it out.
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def unmask_targets(submitted: list[str], stored: list[str]) -> list[str]:
    """A form that shows masked targets sends them back when saved; keep the stored URL each mask
    stands for, or the secret would be overwritten with asterisks."""
    stored_by_mask = {mask_target(url): url for url in stored}
    return [stored_by_mask.get(url.strip(), url) for url in submitted]
