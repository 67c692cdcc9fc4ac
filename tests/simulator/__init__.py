"""Tests of the built-in RingCentral simulator."""
