"""The app's page templates, shipped in the wheel as ``rcpyramid.templates`` (see setup.cfg).

Renderers name them by asset spec: ``rcpyramid.templates:home.jinja2``.
"""
