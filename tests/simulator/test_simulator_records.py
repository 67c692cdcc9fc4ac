"""Every address the simulator advertises answers: records, images, recordings, messages."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import pytest

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient

ACCOUNT = "/restapi/v1.0/account/~"
ME = ACCOUNT + "/extension/~"
MY_LOG = ME + "/call-log"
# A client registered with every permission the advertised addresses need.
RICH = RegisteredClient(
    "rich-client",
    "rich-secret",
    DEMO_CLIENT.redirect_uris,
    ("ReadAccounts", "ReadCallLog", "ReadCallRecording", "ReadMessages"),
)


def _addresses(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("uri", "contentUri") and isinstance(inner, str):
                yield inner
            else:
                yield from _addresses(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _addresses(inner)


def _login(rc, client: RegisteredClient, username: str = "alice") -> str:
    code = rc.code(username, client=client, redirect_uri=client.redirect_uris[0])
    answer = rc.exchange(code, client=client)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture
def rich(make_rc):
    return make_rc(clients=(DEMO_CLIENT, RICH))


def test_every_advertised_address_answers(rich):
    token = _login(rich, RICH)
    headers = {"Authorization": f"bearer {token}"}
    me = rich.get(ME, token).json()
    log = rich.get(MY_LOG + "?view=Detailed&perPage=300", token).json()
    addresses = set(_addresses(me)) | set(_addresses(log))
    assert any(a.endswith("/profile-image") for a in addresses)
    assert any(a.endswith("/content") for a in addresses)
    assert any("/message-store/" in a for a in addresses)
    for address in sorted(addresses):
        assert address.startswith(rich.url + "/restapi/v1.0/")
        answer = rich.http.get(address, headers=headers, timeout=10)
        assert answer.status_code == 200, (address, answer.text[:200])


def test_a_record_uri_reads_that_record(rich):
    token = _login(rich, RICH)
    listed = rich.get(MY_LOG + "?view=Detailed&perPage=5", token).json()["records"]
    for record in listed:
        one = rich.http.get(record["uri"], headers={"Authorization": f"bearer {token}"}).json()
        assert one == record
    # Someone else's record is not found through one's own log; the company log has it.
    bob = rich.get(ME + "/call-log?perPage=1", _login(rich, RICH, "bob")).json()["records"][0]
    assert rich.get(f"{MY_LOG}/{bob['id']}", token).status_code == 404
    assert rich.get(f"{ACCOUNT}/call-log/{bob['id']}", token).json()["id"] == bob["id"]
    assert rich.get(f"{MY_LOG}/no-such-record", token).json()["errorCode"] == "CMN-102"


def test_profile_image_is_a_png(rich):
    token = _login(rich, RICH)
    image = rich.get(ME + "/profile-image", token)
    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    bob = rich.simulator.directory.extension_for("bob")
    other = rich.get(f"{ACCOUNT}/extension/{bob.id}/profile-image", token)
    assert other.status_code == 200 and other.content != image.content
    assert rich.get(ME + "/profile-image").status_code == 401


def test_a_recording_is_a_short_silent_wav_and_needs_its_permission(rich):
    token = _login(rich, RICH)
    records = rich.get(MY_LOG + "?perPage=1000", token).json()["records"]
    recorded = next(r for r in records if "recording" in r)
    meta = rich.http.get(
        recorded["recording"]["uri"], headers={"Authorization": f"bearer {token}"}
    ).json()
    assert meta["contentUri"] == recorded["recording"]["contentUri"]
    content = rich.http.get(meta["contentUri"], headers={"Authorization": f"bearer {token}"})
    assert content.headers["Content-Type"] == meta["contentType"] == "audio/wav"
    with wave.open(io.BytesIO(content.content)) as audio:
        assert audio.getnframes() == audio.getframerate() * meta["duration"]
        assert set(audio.readframes(audio.getnframes())) == {0x80}  # silence
    # The demo client lacks ReadCallRecording, as an app registered without it would.
    demo = rich.login()["access_token"]
    refused = rich.http.get(meta["contentUri"], headers={"Authorization": f"bearer {demo}"})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "CMN-401"
    # Bob cannot hear Alice's calls.
    bob = _login(rich, RICH, "bob")
    theirs = rich.http.get(meta["contentUri"], headers={"Authorization": f"bearer {bob}"})
    assert theirs.status_code == 404


def test_a_voicemail_message_reads_back(rich):
    token = _login(rich, RICH)
    records = rich.get(MY_LOG + "?perPage=1000", token).json()["records"]
    voicemail = next(r for r in records if r["result"] == "Voicemail")
    message = rich.http.get(
        voicemail["message"]["uri"], headers={"Authorization": f"bearer {token}"}
    ).json()
    assert message["type"] == "VoiceMail" and str(message["id"]) == voicemail["message"]["id"]
    assert message["from"] == voicemail["from"]
    assert message["messageStatus"] == "Received"
