"""Benchmarks: `make bench` (python -m bench; stages in bench/stages/). Not part of `make test`."""
