"""The app's pages; each module registers its views with ``config.scan``."""
