"""Helpers of the webhook suites: subscribe and call the REST API as an app would."""

from __future__ import annotations

import requests

SUBSCRIPTION = "/restapi/v1.0/subscription"
MY_CALLS = "/restapi/v1.0/account/~/extension/~/telephony/sessions"
MY_PRESENCE = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"
COMPANY_CALLS = "/restapi/v1.0/account/~/telephony/sessions"


def subscribe(rc, token: str, address: str, filters: list[str], **extra) -> requests.Response:
    body = {
        "eventFilters": filters,
        "deliveryMode": {"transportType": "WebHook", "address": address, **extra.pop("mode", {})},
        **extra,
    }
    return rc.http.post(
        rc.url + SUBSCRIPTION,
        json=body,
        headers={"Authorization": f"bearer {token}"},
        timeout=10,
    )


def call(rc, method: str, path: str, token: str, **kw) -> requests.Response:
    headers = {"Authorization": f"bearer {token}"}
    return rc.http.request(method, rc.url + path, headers=headers, timeout=10, **kw)
