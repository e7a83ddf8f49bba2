"""Benchmarks that print their figures (make bench). Targets live here, never in tests."""
