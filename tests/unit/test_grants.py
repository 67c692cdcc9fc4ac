"""The OAuth grants: driven by requests-oauthlib, usable by every process that builds them."""

from __future__ import annotations

import pytest
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from requests_oauthlib import OAuth2Session

from rcpyramid.clock import utcnow
from rcpyramid.config import RingCentralSettings, load_section
from rcpyramid.ringcentral.client import RingCentralClient

LOOPBACK = {
    "ringcentral.server_url": "http://127.0.0.1:9",
    "ringcentral.client_id": "test-client-id-0123",
    "ringcentral.client_secret": "test-client-secret-0123456789",
    "ringcentral.redirect_url": "http://localhost:6543/oauth2callback",
}


def test_a_client_on_loopback_http_can_use_it_outside_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rcpyramid-purge builds a client without the app's main(): its revokes must go out."""
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    RingCentralClient(load_section(RingCentralSettings, LOOPBACK), utcnow)
    assert is_secure_transport("http://127.0.0.1:9/restapi/oauth/token")


def test_the_authorization_code_flow_is_an_oauth2_session_on_the_one_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = RingCentralClient(load_section(RingCentralSettings, LOOPBACK), utcnow)
    made: list[OAuth2Session] = []
    original = OAuth2Session.__init__

    def recording(self: OAuth2Session, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(OAuth2Session, "__init__", recording)
    url = client.authorize_url("state-1", "v" * 50)
    assert "code_challenge_method=S256" in url
    (session,) = made
    # The transport's pooled adapter, so its deadlines and watchdog apply.
    assert session.get_adapter("http://127.0.0.1:9/x") is client.transport.mount_on(
        OAuth2Session()
    ).get_adapter("http://127.0.0.1:9/x")
