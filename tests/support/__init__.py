"""Helpers the test tiers share (fixtures, documents, the local stack's client): test
modules import from here, never from one another."""
