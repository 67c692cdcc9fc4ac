"""The built-in RingCentral simulator: a faithful-enough stand-in for development and tests."""

from .app import Simulator
from .config import DEMO_CLIENT, RegisteredClient, SimulatorConfig
from .demo_users import DEMO_USERS, DemoUser
from .server import RunningServer, serve_in_thread

__all__ = [
    "DEMO_CLIENT",
    "DEMO_USERS",
    "DemoUser",
    "RegisteredClient",
    "RunningServer",
    "Simulator",
    "SimulatorConfig",
    "serve_in_thread",
]
