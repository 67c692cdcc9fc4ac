"""Real RingCentral SDKs (Python, JavaScript 5.x and the seed's 3.3.0) against the simulator."""
