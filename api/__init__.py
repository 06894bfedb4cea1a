"""HTTP API and command line of hoso: thin adapters over the domain core in ``states``."""
