"""Lambda entry points, one module per function; :mod:`.wiring` builds their adapters."""
