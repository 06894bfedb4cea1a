"""The vocabulary of the data-driven scenario tests: steps made from the time they happen, and a run that
moves the world's clock before each step and fires it through ``Dossier.fire`` (saved and reloaded, and
recorded for the transition-coverage check)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import Dossier, World

Maker = Callable[[datetime], dict[str, Any]]
Step = tuple[str, str, Maker, int]
"""(officer, event, payload made from the time of the step, minutes waited before the step)."""
TICK = 10


def none(_at: datetime) -> dict[str, Any]:
    return {}


def const(payload: dict[str, Any]) -> Maker:
    return lambda _at: payload


def at_field(name: str, **extra: Any) -> Maker:
    return lambda at: {name: at.isoformat(), **extra}


def day_field(name: str, **extra: Any) -> Maker:
    return lambda at: {name: at.date().isoformat(), **extra}


def step(who: str, event: str, make: Maker = none, wait: int = TICK) -> Step:
    return (who, event, make, wait)


@dataclass
class Run:
    world: World
    dossier: Dossier
    now: datetime

    def fire(self, who: str, event: str, make: Maker = none, wait: int = TICK) -> None:
        self.now += timedelta(minutes=wait)
        self.world.at(self.now.isoformat())
        self.dossier.fire(who, event, make(self.now))

    def steps(self, steps: list[Step]) -> None:
        for who, event, make, wait in steps:
            self.fire(who, event, make, wait)

    def wait_until(self, moment: datetime) -> None:
        self.now = moment
        self.world.at(moment.isoformat())
