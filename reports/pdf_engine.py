"""The part of PDF rendering that needs WeasyPrint: HTML + CSS → PDF bytes, blocking.

Imported only where a PDF is rendered (the render pool's worker processes, tests, the benchmark),
never by the app or the command line at start-up: WeasyPrint costs about a second to import, paid
by every `spotcheck` command and server start otherwise.

- Fonts and the base stylesheet are loaded once per process, not per document.
- The URL fetcher refuses everything but the project's own assets (``reports/``), ``data:`` URIs
  and ``evidence:<sha256>``, served from the downscaled photos that the caller handed over with
  the HTML (read from storage by the API process beforehand, so the render processes need no
  storage and no credentials), and ``chart:<name>``, the PNG charts built with the HTML. A
  remote URL, a ``file://`` path elsewhere or a photo that was not
  handed over is refused, so a value typed by a user into a checklist note can never make the
  server fetch something.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS_DIR = Path(__file__).resolve().parent
FONTS_DIR = ASSETS_DIR / "fonts"
TEMPLATES_DIR = ASSETS_DIR / "templates"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHART_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


class RefusedFetch(ValueError):
    pass


class ProjectOnlyFetcher(URLFetcher):
    """Serves project assets, data: URIs, the evidence photos and the charts given; refuses all
    else."""

    def __init__(
        self, images: Mapping[str, bytes] | None = None, charts: Mapping[str, bytes] | None = None
    ) -> None:
        super().__init__(
            allowed_protocols={"file", "data", "evidence", "chart"}, allow_redirects=False
        )
        self.images = dict(images or {})
        self.charts = dict(charts or {})

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("evidence:"):
            return self._evidence(url.removeprefix("evidence:"))
        if url.startswith("chart:"):
            return self._chart(url.removeprefix("chart:"))
        if url.startswith("file:"):
            path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
                raise RefusedFetch(f"refused file outside the report assets: {url}")
            return URLFetcherResponse(url, body=path.read_bytes())
        raise RefusedFetch(f"refused non-local URL: {url}")

    def _evidence(self, sha256: str) -> URLFetcherResponse:
        if not SHA256.match(sha256):
            raise RefusedFetch(f"refused evidence reference: {sha256}")
        if sha256 not in self.images:
            raise RefusedFetch(f"no derivative for evidence {sha256}")
        return URLFetcherResponse(
            f"evidence:{sha256}", body=self.images[sha256], headers={"Content-Type": "image/jpeg"}
        )

    def _chart(self, name: str) -> URLFetcherResponse:
        if not CHART_NAME.match(name) or name not in self.charts:
            raise RefusedFetch(f"no chart {name!r} was built with this document")
        return URLFetcherResponse(
            f"chart:{name}", body=self.charts[name], headers={"Content-Type": "image/png"}
        )


@functools.cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.cache
def _base_stylesheet() -> CSS:
    faces = "\n".join(
        f"@font-face {{ font-family: 'Spotcheck Serif'; src: url('{(FONTS_DIR / name).as_uri()}');"
        f" font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in (
            ("LiberationSerif-Regular.ttf", "normal", "normal"),
            ("LiberationSerif-Bold.ttf", "bold", "normal"),
            ("LiberationSerif-Italic.ttf", "normal", "italic"),
            ("LiberationSerif-BoldItalic.ttf", "bold", "italic"),
        )
    )
    return CSS(
        string=faces,
        font_config=_font_config(),
        url_fetcher=ProjectOnlyFetcher(),
    )


def render_pdf(
    html: str,
    *,
    images: Mapping[str, bytes] | None = None,
    stylesheet: str | None = None,
    charts: Mapping[str, bytes] | None = None,
) -> bytes:
    """Blocking. ``stylesheet`` is a file name under reports/templates/; ``images`` are the
    downscaled evidence photos (JPEG) that ``evidence:<sha256>`` in the HTML may show, ``charts``
    the PNG charts that ``chart:<name>`` may show."""
    fetcher = ProjectOnlyFetcher(images, charts)
    stylesheets = [_base_stylesheet()]
    if stylesheet:
        stylesheets.append(_stylesheet(stylesheet))
    document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=stylesheets, font_config=_font_config())
    assert pdf is not None
    return bytes(pdf)


@functools.cache
def _stylesheet(name: str) -> CSS:
    path = TEMPLATES_DIR / name
    return CSS(
        string=path.read_text(encoding="utf-8"),
        base_url=TEMPLATES_DIR.as_uri() + "/",
        font_config=_font_config(),
        url_fetcher=ProjectOnlyFetcher(),
    )
