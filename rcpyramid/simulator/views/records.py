"""Single resources the list answers point at: each record's `uri`, `profileImage`,
`recording.uri` and `contentUri`, `message.uri` and the extension's `account.uri`.

The simulator only advertises addresses it serves, with RingCentral's permissions:
reading a recording needs the app permission ReadCallRecording, a message ReadMessages.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors
from ..callrecords import CallRecord
from ..clock import iso_ms
from ..media import profile_png, recording_seconds, silent_wav
from ..wire import json_response
from .guards import ApiCaller, api_caller, simulator
from .params import account_base, choices, path_extension, readable_extension
from .routing import ACCOUNT, EXTENSION, add_routes

RECORDING_TYPE = "audio/wav"


def _binary(body: bytes, content_type: str) -> Response:
    response = Response(body=body)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _visible(request: Request, record: CallRecord | None, parameter: str) -> CallRecord:
    """A record that exists and has started by the simulator's clock, or 404."""
    if record is None or record.start > simulator(request).clock.now():
        raise api_errors.resource_not_found(parameter)
    return record


def _check_owner(caller: ApiCaller, record: CallRecord, parameter: str) -> None:
    """Someone else's record is another extension's: administrators only, as the logs."""
    if record.owner_id != caller.extension.id and not caller.admin:
        raise api_errors.resource_not_found(parameter)


def read_account(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId} (Light)."""
    sim = simulator(request)
    api_caller(request, "Light", "ReadAccounts", "ReadAccounts")
    account_uri = account_base(request, sim.directory)
    return json_response(
        {
            "uri": account_uri,
            "id": sim.directory.account_id,
            "mainNumber": sim.directory.main_number,
            "status": "Confirmed",
            "setupWizardState": "Completed",
        }
    )


def _call_record(request: Request, base: str, record: CallRecord) -> Response:
    sim = simulator(request)
    view = (choices(request.GET, "view", ("Simple", "Detailed")) or ["Simple"])[-1]
    body = record.to_json(
        host_url=request.host_url,
        account_id=sim.directory.account_id,
        base_uri=base,
        view=view,
    )
    return json_response(body)


def user_call_record(request: Request) -> Response:
    """GET .../extension/{extensionId}/call-log/{callRecordId} (Heavy)."""
    sim = simulator(request)
    caller = api_caller(request, "Heavy", "ReadCallLog", "ReadCallLog")
    account_uri = account_base(request, sim.directory)
    ext = readable_extension(request, caller, sim.directory, "ReadCallLog")
    found = sim.call_log.find(request.matchdict["record_id"], sim.clock.now())
    record = _visible(request, found, "callRecordId")
    if record.owner_id != ext.id:
        raise api_errors.resource_not_found("callRecordId")
    return _call_record(request, f"{account_uri}/extension/{ext.id}", record)


def company_call_record(request: Request) -> Response:
    """GET .../account/{accountId}/call-log/{callRecordId} (Heavy): administrators only."""
    sim = simulator(request)
    api_caller(request, "Heavy", "ReadCallLog", "FullCompanyCallLog")
    account_uri = account_base(request, sim.directory)
    found = sim.call_log.find(request.matchdict["record_id"], sim.clock.now())
    return _call_record(request, account_uri, _visible(request, found, "callRecordId"))


def profile_image(request: Request) -> Response:
    """GET .../extension/{extensionId}/profile-image (Light): a generated PNG."""
    sim = simulator(request)
    caller = api_caller(request, "Light", "ReadAccounts", "ReadExtensions")
    account_base(request, sim.directory)
    ext = path_extension(request, caller, sim.directory)
    return _binary(profile_png(ext.id), "image/png")


def _recording(request: Request) -> tuple[CallRecord, str]:
    sim = simulator(request)
    caller = api_caller(request, "Heavy", "ReadCallRecording", "ReadCallRecording")
    account_uri = account_base(request, sim.directory)
    recording_id = request.matchdict["recording_id"]
    found = sim.call_log.find_recording(recording_id, sim.clock.now())
    record = _visible(request, found, "recordingId")
    _check_owner(caller, record, "recordingId")
    return record, f"{account_uri}/recording/{recording_id}"


def recording(request: Request) -> Response:
    """GET .../account/{accountId}/recording/{recordingId} (Heavy): its metadata."""
    record, uri = _recording(request)
    assert record.recording is not None
    return json_response(
        {
            "uri": uri,
            "id": record.recording[0],
            "contentUri": f"{uri}/content",
            "contentType": RECORDING_TYPE,
            "duration": recording_seconds(record.duration_ms // 1000),
        }
    )


def recording_content(request: Request) -> Response:
    """GET .../recording/{recordingId}/content (Heavy): a few seconds of silence."""
    record, _ = _recording(request)
    return _binary(silent_wav(recording_seconds(record.duration_ms // 1000)), RECORDING_TYPE)


def message(request: Request) -> Response:
    """GET .../extension/{extensionId}/message-store/{messageId} (Light)."""
    sim = simulator(request)
    caller = api_caller(request, "Light", "ReadMessages", "ReadMessages")
    account_uri = account_base(request, sim.directory)
    ext = readable_extension(request, caller, sim.directory, "ReadMessages")
    message_id = request.matchdict["message_id"]
    found = sim.call_log.find_message(message_id, sim.clock.now())
    record = _visible(request, found, "messageId")
    if record.owner_id != ext.id:
        raise api_errors.resource_not_found("messageId")
    inbound = record.direction == "Inbound"
    created = iso_ms(record.start_ms + record.duration_ms)
    body = {
        "uri": f"{account_uri}/extension/{ext.id}/message-store/{message_id}",
        "id": int(message_id),
        "type": record.message_type,
        "direction": record.direction,
        "from": record.from_party.to_json(),
        "to": [record.to_party.to_json()],
        "creationTime": created,
        "lastModifiedTime": created,
        "readStatus": "Unread" if inbound else "Read",
        "messageStatus": "Received" if inbound else "Sent",
        "availability": "Alive",
        "priority": "Normal",
    }
    if record.message_type == "VoiceMail":
        body["vmTranscriptionStatus"] = "NotAvailable"
    else:
        body["faxPageCount"] = 1 + record.duration_ms // 60_000
    return json_response(body)


def includeme(config: Configurator) -> None:
    """Routes and views of the single resources."""
    routes = {
        "rc.account": (ACCOUNT, read_account),
        "rc.user_call_record": (EXTENSION + "/call-log/{record_id}", user_call_record),
        "rc.company_call_record": (ACCOUNT + "/call-log/{record_id}", company_call_record),
        "rc.profile_image": (EXTENSION + "/profile-image", profile_image),
        "rc.recording": (ACCOUNT + "/recording/{recording_id}", recording),
        "rc.recording_content": (ACCOUNT + "/recording/{recording_id}/content", recording_content),
        "rc.message": (EXTENSION + "/message-store/{message_id}", message),
    }
    add_routes(config, routes)
