"""Prefect flows that drain the outbox and sweep deadlines (they call into ``states``)."""
