"""Governance: sharing agreements, purposes, lawful bases, consent and objections, the access decision, the
tamper-evident access log and subject access."""
