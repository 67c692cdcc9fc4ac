"""RingCentral's published OpenAPI spec, made strict, as a validator of simulator answers.

The spec (``rc-public-openapi.yml`` from npm ``ringcentral-open-api-parser``, pinned in
tests/spec/package.json) rarely says ``additionalProperties: false``; here every object
schema that does not say otherwise refuses unknown fields, after ``allOf`` parts are merged
into one object (a per-part "no other fields" would refuse the other parts' fields).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator

SPEC_DIR = Path(__file__).resolve().parent
SPEC_FILE = SPEC_DIR / "node_modules" / "ringcentral-open-api-parser" / "rc-public-openapi.yml"
ENABLE = "run `npm ci --prefix tests/spec` to enable it"


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _strict(spec: dict[str, Any], node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": node["$ref"]}
    node = dict(node)
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node.pop("allOf"):
            flat = _strict(spec, _deref(spec, part))
            merged["properties"].update(flat.get("properties", {}))
            merged["required"] += flat.get("required", [])
            if flat.get("additionalProperties") not in (None, False):
                merged["additionalProperties"] = flat["additionalProperties"]
        merged["properties"].update(node.pop("properties", {}))
        merged["required"] += node.pop("required", [])
        if not merged["required"]:
            del merged["required"]
        node = {**node, **merged}
    if "properties" in node:
        node["properties"] = {k: _strict(spec, v) for k, v in node["properties"].items()}
    for key in ("items", "not"):
        if key in node:
            node[key] = _strict(spec, node[key])
    for key in ("anyOf", "oneOf"):
        if key in node:
            node[key] = [_strict(spec, v) for v in node[key]]
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _strict(spec, node["additionalProperties"])
    if (
        node.get("type") == "object" or "properties" in node
    ) and "additionalProperties" not in node:
        node["additionalProperties"] = False
    node.pop("discriminator", None)
    return node


@functools.lru_cache(maxsize=1)
def strict_spec() -> dict[str, Any]:
    """The spec with every component schema made strict (loaded once per test run)."""
    with SPEC_FILE.open("rb") as handle:
        # libyaml's safe loader when present (seconds instead of tens for 1.6 MB); safe either way.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        spec = yaml.load(handle, Loader=loader)  # noqa: S506 - a SafeLoader
    schemas = spec["components"]["schemas"]
    spec["components"]["schemas"] = {k: _strict(spec, v) for k, v in schemas.items()}
    return spec


# The shared response RingCentral documents for a status an operation does not list.
SHARED = {
    400: "InvalidRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceNotAvailable",
}


@functools.cache
def _operations() -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for item in strict_spec()["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def response_schema(operation_id: str, status: int) -> dict[str, Any]:
    """The JSON schema an operation's answer must match (strict, refs resolvable)."""
    responses = _operations()[operation_id]["responses"]
    if str(status) not in responses:
        return named_response(SHARED[status])
    response = _deref(strict_spec(), responses[str(status)])
    return _with_components(response["content"]["application/json"]["schema"])


def named_response(name: str) -> dict[str, Any]:
    """One of the spec's shared responses (Forbidden, NotFound, ...)."""
    response = strict_spec()["components"]["responses"][name]
    return _with_components(response["content"]["application/json"]["schema"])


def component(name: str) -> dict[str, Any]:
    """A component schema by name (event envelopes have no operation)."""
    return _with_components({"$ref": f"#/components/schemas/{name}"})


def _with_components(schema: dict[str, Any]) -> dict[str, Any]:
    root = copy.copy(_strict(strict_spec(), schema))
    root["components"] = strict_spec()["components"]
    return root


def errors_in(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Every way `instance` breaks `schema`: path and message, empty when it conforms."""
    validator = OAS30Validator(schema)
    found = []
    for error in validator.iter_errors(instance):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        found.append(f"{where}: {error.message[:300]}")
        for sub in (error.context or [])[:6]:
            sub_where = "/".join(str(p) for p in sub.absolute_path)
            found.append(f"    {sub_where}: {sub.message[:200]}")
    return found
