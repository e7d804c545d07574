"""Benchmarks of mofan: ``mofan bench NAME [--scale N] [--json FILE]`` (see ``bench/runner.py``)."""
