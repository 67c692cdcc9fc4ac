"""Compressed responses (gzip), and the CSRF token masked so compression cannot leak it.

Compression is WebOb's own (``Response.encode_content``, the response object Pyramid
already uses), applied around the whole app to the finished response: its headers
(CSP, ``Cache-Control: no-store``) are not touched. No WSGI
gzip middleware on PyPI is kept up today (wsgigzip, zif-gzipper: last released 2016 and
2007). A server in front that compresses too (nginx's ``gzip on``) finds these answers
already encoded and leaves them alone.

Compressing a page that holds a secret (the CSRF token in every signed-in page) next
to something an attacker can put in the address (a search) opens BREACH: the size of
the answer tells, guess by guess, how much of the secret was guessed. Every form
therefore carries the token under a fresh random mask (as Django does), so no two
pages carry the same bytes for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.registry import Registry
from pyramid.request import Request
from webob import Response
from webob.request import BaseRequest

#: What is worth compressing: text. Images, archives and streamed files are not.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "application/json",
        "application/javascript",
        "text/javascript",
        "image/svg+xml",
    }
)
#: Below this the gzip header and the work cost more than the bytes saved.
SMALLEST = 1024


def _worth_compressing(response: Response) -> bool:
    if response.content_type not in COMPRESSIBLE or response.content_encoding:
        return False
    if response.status_code < 200 or response.status_code in (204, 206, 304):
        return False
    length = response.content_length
    if length is None:
        # A streamed body (an export) stays streamed: compressing it would hold it whole.
        if not isinstance(response.app_iter, list):
            return False
        length = sum(len(chunk) for chunk in response.app_iter)
    return length >= SMALLEST


class CompressingApp:
    """The WSGI app ``main()`` returns: the guarded router, its text answers gzipped.

    Outside Pyramid, so it compresses the finished response: every tween has added its
    headers and every response callback (the page memo keeps the plain body) has run.
    """

    def __init__(self, app: Any) -> None:
        """``app``: the guarded router (``rcpyramid.guard.RequestGuard``), with its registry."""
        self.app = app
        # server.py and the tests reach the settings and services through it.
        self.registry: Registry = app.registry

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", "").lower():
            # Nothing to encode (curl, scripts, load tools): the answer passes as it is,
            # with the one header a cache needs, without a second response object.
            return self.app(environ, _varying(start_response))
        request = BaseRequest(environ)
        # The guard answers its last-resort page with exc_info: that is a response too.
        response = request.get_response(self.app, catch_exc_info=True)
        compress(request, response)
        return response(environ, start_response)


def _varying(start_response: Callable[..., Any]) -> Callable[..., Any]:
    """``start_response`` adding ``Vary: Accept-Encoding`` to text answers, as :func:`compress`."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        content_type, vary = "", None
        for position, (name, value) in enumerate(headers):
            lowered = name.lower()
            if lowered == "content-type":
                content_type = value
            elif lowered == "vary":
                vary = position
        if content_type.split(";", 1)[0].strip().lower() in COMPRESSIBLE:
            if vary is None:
                headers = [*headers, ("Vary", "Accept-Encoding")]
            else:
                headers = list(headers)
                headers[vary] = ("Vary", _with_accept_encoding(headers[vary][1]))
        return start_response(status, headers, exc_info)

    return start


def _with_accept_encoding(vary: str | None) -> str:
    """A ``Vary`` value naming ``Accept-Encoding`` once, after what it named already."""
    names = [name.strip() for name in (vary or "").split(",") if name.strip()]
    if all(name.lower() != "accept-encoding" for name in names):
        names.append("Accept-Encoding")
    return ", ".join(names)


def compress(request: BaseRequest, response: Response) -> None:
    """gzip a text response when the browser accepts it; ``Vary`` says it depends on that."""
    if response.content_type not in COMPRESSIBLE:
        return
    response.headers["Vary"] = _with_accept_encoding(response.headers.get("Vary"))
    # No Accept-Encoding header: RFC 9110 allows any coding, but clients that send none
    # (curl, scripts) expect none; gzip only for those who ask.
    accepts = []
    if request.headers.get("Accept-Encoding"):
        try:
            accepts = request.accept_encoding.acceptable_offers(["gzip"])
        except ValueError:
            accepts = []
    if accepts and _worth_compressing(response):
        body = response.app_iter
        response.encode_content("gzip", lazy=False)
        close = getattr(body, "close", None)
        if close is not None:
            # A static file's reader: read whole now, and WebOb does not close it.
            close()
        if response.etag is not None:
            # Another representation of the same resource: a weak validator only.
            response.etag = (response.etag, False)


class MaskedCSRFStoragePolicy(SessionCSRFStoragePolicy):
    """Pyramid's session CSRF policy, handing out the token under a fresh mask each time.

    A masked token is ``mask + (token XOR mask)`` in hex; the plain token is accepted
    too (it is what the session holds; an old page may carry it).
    """

    def get_csrf_token(self, request: Request) -> str:
        token: str = super().get_csrf_token(request)
        raw = token.encode()
        mask = secrets.token_bytes(len(raw))
        return mask.hex() + bytes(a ^ b for a, b in zip(raw, mask, strict=True)).hex()

    def check_csrf_token(self, request: Request, supplied_token: Any) -> bool:
        expected: str = SessionCSRFStoragePolicy.get_csrf_token(self, request)
        supplied = str(supplied_token or "")
        unmasked = _unmask(supplied, len(expected.encode()))
        candidate = unmasked if unmasked is not None else supplied
        return secrets.compare_digest(candidate.encode(), expected.encode())


def _unmask(supplied: str, size: int) -> str | None:
    if len(supplied) != 4 * size:
        return None
    try:
        data = bytes.fromhex(supplied)
    except ValueError:
        return None
    mask, masked = data[:size], data[size:]
    try:
        return bytes(a ^ b for a, b in zip(masked, mask, strict=True)).decode()
    except UnicodeDecodeError:
        return None
