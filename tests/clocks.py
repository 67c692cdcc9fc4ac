"""A clock tests can move, shared by the app and the simulator when a test wants that."""

from rcpyramid.tokens.testing import MovingClock as MovableClock

__all__ = ["MovableClock"]
