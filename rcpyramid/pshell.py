"""``pshell development.ini``: the token repository at hand.

``repo`` is the process-wide repository: each call is its own transaction. With the
SQL backend, ``dbsession`` is a session in ``tm``, the request's transaction manager
(``tm.commit()`` to keep what you changed through it).
"""

from __future__ import annotations

from typing import Any

from rcpyramid.clock import utcnow


def setup(env: dict[str, Any]) -> None:
    registry = env["registry"]
    request = env["request"]
    env["repo"] = registry.token_repository
    env["utcnow"] = utcnow
    if "dbsession_factory" in registry:
        request.tm.begin()
        env["tm"] = request.tm
        env["dbsession"] = request.dbsession
