"""What can go wrong with the store, each error naming the fix."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Base class of the store's errors."""


class StoreNotReady(StoreError):
    """The store's schema is missing or not at the revision this linewatch needs."""


class StoreImportError(StoreError):
    """The inventory could not be written; nothing was changed."""
