"""Views of the simulator: one module per family, each wired by its `includeme`."""
