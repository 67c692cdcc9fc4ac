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
from .config import DEMO_CLIENT, RegisteredClient, SimulatorConfig
from .config import parse_rate_limits as parse_rate_limits_text
from .server import serve_in_thread

log = logging.getLogger("rcpyramid.simulator")


def parse_client(text: str) -> RegisteredClient:
    """ID:SECRET:URI[,URI...]; only the first two colons split, so URIs keep theirs."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise argparse.ArgumentTypeError("expected ID:SECRET:REDIRECT_URI[,REDIRECT_URI...]")
    client_id, secret, uris = parts
    redirect_uris = tuple(u for u in (s.strip() for s in uris.split(",")) if u)
    return RegisteredClient(client_id, secret, redirect_uris)


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
        metavar="ID:SECRET:REDIRECT_URI[,REDIRECT_URI...]",
        help="register a client (repeatable; an empty SECRET makes a public client); "
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
