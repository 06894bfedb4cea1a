"""Rendering of the decision documents requested through the outbox (templates named by form code)."""
