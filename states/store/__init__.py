"""Persistence: the only package of the domain core that imports SQLAlchemy."""
