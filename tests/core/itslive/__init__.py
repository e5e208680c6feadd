"""Tier-1 tests of core/itslive (a package so that module names do not clash with tests/core/egms)."""
