"""The page tests use the API tests' lab harness (a correlator writing a real store)."""

from tests.api.conftest import sqlite_lab

__all__ = ["sqlite_lab"]
