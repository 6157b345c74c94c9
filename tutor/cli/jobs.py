"""``tutor worker`` runs background jobs; ``tutor jobs`` lists them; ``follow`` waits on one for ``tutor ingest``."""

from __future__ import annotations

import time

import click

from tutor.cli.common import build
from tutor.errors import ConfigurationError
from tutor.jobs.store import Job
from tutor.modes.access import Actor


@click.command("worker")
def worker() -> None:
    """Run background jobs (uploads, folder ingest) until stopped with Ctrl-C or SIGTERM.

    With a Chroma server (TUTOR_CHROMA_URL) start as many as the host has cores to spare.
    With the embedded index the app runs its own worker threads; a second process on that
    folder is refused while they are alive.
    """
    services = build()
    alive = services.jobs.workers_alive()
    if not services.settings.chroma_url and alive:
        raise ConfigurationError(
            "The app already runs the jobs of this data folder (its index is embedded, so only one process "
            f"may write it; live worker: {alive[0]}). Use a Chroma server (TUTOR_CHROMA_URL) for separate workers.")
    click.echo(f"Worker for {services.settings.data_dir} (index: {services.index.location}, queue: "
               f"{services.settings.jobs_url or 'SQLite'}); Ctrl-C to stop.")
    services.start_job_worker().run_until_signalled()


@click.command("jobs")
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
def jobs(limit: int) -> None:
    """List background jobs: running and queued first, then the latest finished."""
    services = build()
    listed = services.recent_jobs(Actor.operator(), limit)
    if not listed:
        click.echo("No jobs yet.")
    for job in listed:
        click.echo(f"{job.created_at[:19]}  {job.status:<8} {job.progress:>4.0%}  {job.title}  "
                   f"({job.requested_by}){'  ' + job.error if job.error else ''}")
    alive = services.jobs.workers_alive()
    click.echo(f"Workers alive: {', '.join(alive) if alive else 'none (start the app or `tutor worker`)'}")


def follow(services, job: Job, progress) -> Job:
    """Wait for a job to finish, showing its progress; Ctrl-C stops waiting, not the job."""
    try:
        while job.active:
            if progress is not None:
                progress(job.progress, job.message or "queued")
            time.sleep(0.3)
            job = services.jobs.get(job.job_id)
    except KeyboardInterrupt:
        click.echo(f"\nStopped waiting; the job goes on (see `tutor jobs`): {job.job_id}", err=True)
        raise SystemExit(130)
    return job
