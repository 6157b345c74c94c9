"""``tutor school``: start the multi-process set (Chroma server, workers, N apps, HAProxy) on this machine."""

from __future__ import annotations

import click

from tutor.school.launcher import School
from tutor.settings import load_settings


@click.command("school")
@click.option("--apps", type=click.IntRange(1, 64), default=2, show_default=True, help="Streamlit app processes.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Job worker processes.")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="HAProxy's port.")
@click.option("--first-app-port", type=click.IntRange(1, 65535), default=8601, show_default=True)
@click.option("--chroma-port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--stats-port", type=click.IntRange(1, 65535), default=8404, show_default=True)
def school(apps: int, workers: int, port: int, first_app_port: int, chroma_port: int, stats_port: int) -> None:
    """Serve a whole class from this machine: N app processes behind HAProxy, sharing one Chroma
    server, the job workers and one model server. Ctrl-C stops everything (docs/deployment.md)."""
    plan = School(load_settings(), apps=apps, workers=workers, port=port, first_app_port=first_app_port,
                  chroma_port=chroma_port, stats_port=stats_port)
    try:
        plan.start(say=click.echo)
    except BaseException:
        plan.stop()
        raise
    plan.supervise(say=click.echo)
