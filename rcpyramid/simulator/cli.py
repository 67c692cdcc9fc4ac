"""`rcpyramid-simulator`: run the RingCentral simulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import pathlib
import signal
import sys
import threading
from collections.abc import Sequence

from .app import Simulator
from .config import DEMO_CLIENT, KNOWN_PERMISSIONS, RegisteredClient, SimulatorConfig
from .config import parse_rate_limits as parse_rate_limits_text
from .server import serve_in_thread

log = logging.getLogger("rcpyramid.simulator")


CLIENT_FORMAT = "ID:SECRET:REDIRECT_URI[,REDIRECT_URI...][#PERMISSION,...]"


def parse_client(text: str) -> RegisteredClient:
    """ID:SECRET:URI[,URI...][#PERM,...]; only the first two colons split, so URIs keep theirs.

    A redirect URI never has a fragment (RFC 6749 §3.1.2), so '#' can start the list of
    the app's permissions; without it the client holds every permission the app uses.
    """
    text, hash_sign, perms = text.partition("#")
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise argparse.ArgumentTypeError(f"expected {CLIENT_FORMAT}")
    client_id, secret, uris = parts
    redirect_uris = tuple(u for u in (s.strip() for s in uris.split(",")) if u)
    if not hash_sign:
        return RegisteredClient(client_id, secret, redirect_uris)
    permissions = tuple(p for p in (s.strip() for s in perms.split(",")) if p)
    unknown = sorted(set(permissions) - set(KNOWN_PERMISSIONS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown permissions {unknown}; known: {', '.join(KNOWN_PERMISSIONS)}"
        )
    return RegisteredClient(client_id, secret, redirect_uris, permissions)


def parse_rate_limits(text: str) -> dict[str, int] | None:
    """`--rate-limits`: the simulator's own parser, its errors as argparse's."""
    try:
        return parse_rate_limits_text(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcpyramid-simulator",
        description="A simulated RingCentral (OAuth + REST) for developing rcpyramid.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5001, help="port (0 picks a free one)")
    parser.add_argument(
        "--client",
        action="append",
        type=parse_client,
        metavar=CLIENT_FORMAT,
        help="register a client (repeatable; an empty SECRET makes a public client; "
        "#ReadAccounts,ReadCallLog names its app permissions, default all the app uses); "
        "default: the demo client",
    )
    parser.add_argument(
        "--state-file", type=pathlib.Path, help="persist codes and sessions in this file"
    )
    parser.add_argument("--seed", type=int, default=SimulatorConfig.seed, help="data seed")
    parser.add_argument(
        "--rate-limits",
        type=parse_rate_limits,
        default="default",
        help="default (enforce Light=50,Medium=40,Heavy=10,Auth=5), off (count only), "
        "or GROUP=N,...",
    )
    parser.add_argument(
        "--record-delay",
        type=float,
        default=SimulatorConfig.record_delay,
        help="seconds from a call's end until its call-log record appears (RingCentral: 15-30)",
    )
    parser.add_argument(
        "--office",
        type=float,
        metavar="SECONDS",
        help="the demo users make and receive a call about every SECONDS (default: no calls)",
    )
    parser.add_argument(
        "--blacklist-after",
        type=int,
        default=SimulatorConfig.blacklist_after,
        help="consecutive failed webhook deliveries before a subscription is Blacklisted",
    )
    parser.add_argument(
        "--no-test-controls",
        action="store_true",
        help="disable the /simulator/ test-control endpoints",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator in the foreground."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = SimulatorConfig(
        clients=tuple(args.client) if args.client else (DEMO_CLIENT,),
        state_file=args.state_file,
        seed=args.seed,
        rate_limits=args.rate_limits,
        test_controls=not args.no_test_controls,
        record_delay=args.record_delay,
        office_interval=args.office,
        blacklist_after=args.blacklist_after,
    )
    try:
        simulator = Simulator(config)
    except ValueError as exc:
        print(f"rcpyramid-simulator: {exc}", file=sys.stderr)
        return 2
    for client in config.clients:
        log.info("registered client %s -> %s", client.client_id, ", ".join(client.redirect_uris))
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = serve_in_thread(simulator.wsgi_app(), host=args.host, port=args.port)
    print(f"RingCentral simulator listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        simulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
