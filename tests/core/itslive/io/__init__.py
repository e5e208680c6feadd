"""Tests of core/itslive/io (a package, as tests/core/itslive is)."""
