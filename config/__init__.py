"""Settings and the dated legal data (procedures, regimes, roles, forms, calendars) of hoso."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
