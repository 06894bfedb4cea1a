"""Domain core of hoso."""
