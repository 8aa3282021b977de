"""The reports' tests use the availability tests' lab store and scenario runner."""

from tests.availability.conftest import lab_store

__all__ = ["lab_store"]
