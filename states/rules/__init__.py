"""Guards of each procedure family, one module each (``states/rules/<procedure>.py``).

Every module here registers its guards with ``states.guards.guard`` when imported; the procedure loader
imports them all, so a new module needs no other wiring. Shared guard shapes stay in ``states.guards``.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
