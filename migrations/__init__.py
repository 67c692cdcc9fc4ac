"""Alembic's scripts, shipped in the wheel as ``rcpyramid.migrations`` (see setup.cfg).

A package so that ``rcpyramid.models.schema`` finds them wherever the app is installed.
"""
