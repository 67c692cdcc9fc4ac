"""Drive the simulator's sign-in page over real HTTP, as a person's browser would."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from rcpyramid.simulator.testing import sign_in_at


class FormParser(HTMLParser):
    """Collects the first form's action and its input values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done:
            self._in_form = True
            self.action = values.get("action")
        elif tag == "input" and self._in_form and "name" in values:
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def authorize_at_simulator(
    authorize_url: str,
    username: str = "alice",
    password: str | None = None,
    action: str = "authorize",
) -> str:
    """Open the sign-in page, submit it, and return where the simulator sends the browser."""
    return sign_in_at(
        authorize_url, username, password or f"{username}-demo", deny=action == "deny"
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
