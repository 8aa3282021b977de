"""Tests of the correlator stages."""
