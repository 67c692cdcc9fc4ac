"""``POST /webhooks/ringcentral``: RingCentral's webhook deliveries, and the live pages' poll.

The receiver answers the Validation-Token handshake of a subscription being created
(200, the header echoed, no body) without looking anything up, so it works while the
create call is still in flight. A delivery must name a subscription this app made
and carry its ``Verification-Token``; anything else gets a 4xx and changes nothing.
It is CSRF-exempt (RingCentral has no session), bounded to
:data:`MAX_DELIVERY_BYTES`, and never calls RingCentral while answering.
"""

from __future__ import annotations

import io
import json
import logging
import re

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.livehistory import LiveHistory
from rcpyramid.ops import metrics

log = logging.getLogger(__name__)

#: RingCentral's events are a few kilobytes; anything larger is refused unread.
MAX_DELIVERY_BYTES = 64 * 1024
#: What is echoed back: RingCentral wants the whole answer within 1024 bytes.
_VALIDATION_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=:-]{1,256}$")


def _empty(status: int) -> Response:
    response = Response(status=status, content_type="application/json", charset=None)
    response.body = b""
    return response


def _close_body(request: Request) -> None:
    """Close the body's copy (pyramid_retry spools bodies over 10 KB to a temporary file)."""
    body = request.environ.get("wsgi.input")
    if isinstance(body, io.IOBase):
        body.close()


@view_config(route_name="webhooks.ringcentral", request_method="POST", require_csrf=False)
def ringcentral_webhook(request: Request) -> Response:
    live: LiveHistory = request.registry.live_history
    request.add_finished_callback(_close_body)
    declared = request.content_length
    if declared is not None and declared > MAX_DELIVERY_BYTES:
        metrics.webhook_delivery("refused", "too_large")
        return _empty(413)
    stream = request.body_file
    if request.is_body_seekable:
        # Something before the view may have read it already (a form parse).
        stream.seek(0)
    body = stream.read(MAX_DELIVERY_BYTES + 1) if declared != 0 else b""
    if len(body) > MAX_DELIVERY_BYTES:
        metrics.webhook_delivery("refused", "too_large")
        return _empty(413)
    validation = request.headers.get("Validation-Token")
    if validation is not None and not body.strip():
        if not _VALIDATION_TOKEN.match(validation):
            metrics.webhook_delivery("refused", "malformed")
            return _empty(400)
        metrics.webhook_delivery("handshake", "validation")
        response = _empty(200)
        response.headers["Validation-Token"] = validation
        return response
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        metrics.webhook_delivery("refused", "malformed")
        return _empty(400)
    verdict = live.deliver(request.headers, envelope)
    metrics.webhook_delivery(verdict.result, verdict.word)
    if verdict.status >= 400:
        log.info("refused a webhook delivery (%s): %s", verdict.status, verdict.reason)
    return _empty(verdict.status)


@view_config(route_name="history.updates", request_method="GET", renderer="json")
def history_updates(request: Request) -> object:
    """``{counter, new_calls, history_from, filling}`` of the person's (or company's) history.

    One read of the shared schedule (no RingCentral call, no token read): cheap enough
    for every open page to ask every few seconds, from any worker process.
    """
    # request.login, not request.identity: a page polling must not count as the person
    # being active (the idle timeout still ends a session left open in a tab).
    if request.login is None:
        request.response.status = 401
        return {"signed_in": False}
    own, company = request.history_keys
    owner = company if request.GET.get("scope") == "company" else own
    if request.GET.get("scope") == "company" and not company:
        request.response.status = 403
        return {"signed_in": True, "company": False}
    raw = request.GET.get("since", "0")
    since = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0
    live: LiveHistory = request.registry.live_history
    return live.updates(owner, since)
