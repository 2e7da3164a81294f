"""Local mode: the blueprint rendered onto an embedded AWS emulator (moto's server)."""
