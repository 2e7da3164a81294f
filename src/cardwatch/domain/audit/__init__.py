"""The audit trail: who did which privileged act, when, and what it changed."""
