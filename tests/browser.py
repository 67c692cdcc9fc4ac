"""Drive the simulator's sign-in page over real HTTP, as a person's browser would."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import requests


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
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    form = parse_form(page.text)
    assert form.action, "the simulator's sign-in page has no form"
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    data = dict(form.fields)
    data.update(username=username, password=password or f"{username}-demo", action=action)
    answer = requests.post(origin + form.action, data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
