"""Serving the four flows on their intervals from one process (``python -m workflows.serve``).

``hoso serve`` starts this process next to its own Prefect server (``PREFECT_API_URL`` points to it); each
scheduled run is executed by Prefect in a child process of this one. A province-sized installation uses
work pools and workers instead (``prefect.yaml``, docs/deploy.md).
"""

from __future__ import annotations

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from config.settings import Settings, get_settings
from workflows.flows import deadline_sweep, notice_delivery, outbox_drain, periodic_reports

DEPLOYMENT = "hoso"
"""The deployments' name under each flow: ``deadline-sweep/hoso``, ``outbox-drain/hoso``, ``notice-delivery/hoso``,
``periodic-reports/hoso``."""


ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
"""A run due while the previous run of the same flow is still going is cancelled, not queued: the next one
takes up whatever is left, and a slow machine never builds a backlog of runs."""


def deployments(settings: Settings) -> list[RunnerDeployment]:
    schedule = (
        (deadline_sweep, settings.sweep_interval_seconds),
        (outbox_drain, settings.outbox_interval_seconds),
        (notice_delivery, settings.delivery_interval_seconds),
        (periodic_reports, settings.reports_interval_seconds),
    )
    made: list[RunnerDeployment] = []
    for flow, seconds in schedule:
        deployment = flow.to_deployment(
            name=DEPLOYMENT,
            interval=seconds,
            concurrency_limit=ONE_AT_A_TIME,
            # Found by module wherever hoso is installed, whatever the working directory.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        if not isinstance(deployment, RunnerDeployment):  # a coroutine: only when called in an event loop
            raise TypeError("deployments() must be called outside an event loop")
        made.append(deployment)
    return made


def main() -> None:
    settings = get_settings()
    intervals = (
        settings.sweep_interval_seconds,
        settings.outbox_interval_seconds,
        settings.delivery_interval_seconds,
        settings.reports_interval_seconds,
    )
    serve(
        *deployments(settings),
        # The schedules stay on when this process stops: `hoso serve` stops the Prefect server with it, and a
        # restart takes them up where they were.
        pause_on_shutdown=False,
        print_starting_message=False,
        limit=4,
        query_seconds=min(5, *intervals),
    )


if __name__ == "__main__":
    main()
