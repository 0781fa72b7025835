"""Writes for cases, split by sub-domain: intake, transitions, negotiation, evidence, clocks."""
