"""Tests of the alarm layer: dedup book, resource resolution, persistence."""
