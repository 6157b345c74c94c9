"""Background jobs on the Library page: follow the job just submitted, and the list of recent ones.

An upload is a job (``tutor.jobs``): the files are saved before the page follows the
job's progress, so the instructor may close the tab and come back to its result under
*Recent jobs*. The list refreshes itself (a fragment on a timer) only while a job is
queued or running.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from tutor.jobs.store import Job
from tutor.modes.access import Actor
from tutor.services import Services
from tutor.ui.components import ingest_summary

_POLL_S = 0.3


def follow_job(services: Services, actor: Actor, job: Job) -> None:
    """Show a submitted job's progress until it ends; stop following (not the job) when no worker runs."""
    st.caption("Your files are saved. You can close this page: indexing goes on, and its result "
               "appears under *Recent jobs*.")
    bar = st.progress(0.0, text="Queued…")
    while job.active:
        if not services.jobs.workers_alive():
            bar.empty()
            st.warning("Saved and queued, but no job worker is running right now: indexing starts when one does "
                       "(the app's own, or `tutor worker`). See *Recent jobs* below.", icon=":material/schedule:")
            return
        ahead = services.jobs.ahead_of(job) if job.status == "queued" else 0
        text = job.message or "Starting…"
        if job.status == "queued" and ahead:
            text = f"Waiting for {ahead} earlier job{'s' if ahead != 1 else ''} to finish…"
        bar.progress(min(job.progress, 1.0), text=text)
        time.sleep(_POLL_S)
        job = services.job(actor, job.job_id) or job
    bar.empty()
    _outcome(job)


def _outcome(job: Job) -> None:
    if (report := job.report()) is not None:
        ingest_summary(report)
    elif job.status == "failed":
        st.error(f"{job.title}: {job.error}", icon=":material/error:")


def recent_jobs_section(services: Services, actor: Actor) -> None:
    jobs = services.recent_jobs(actor)
    if not jobs:
        return
    refresh = 2.0 if any(job.active for job in jobs) else None

    @st.fragment(run_every=refresh)
    def table() -> None:
        current = services.recent_jobs(actor)
        st.subheader("Recent jobs")
        st.dataframe(pd.DataFrame([_row(job) for job in current]), hide_index=True, width="stretch", column_config={
            "Progress": st.column_config.ProgressColumn("Progress", min_value=0.0, max_value=1.0, format="percent"),
        })
        if not services.jobs.workers_alive() and any(job.active for job in current):
            st.warning("No job worker is running: queued jobs wait until the app or `tutor worker` starts.")

    table()


def _row(job: Job) -> dict:
    outcome = job.error or ""
    if (report := job.report()) is not None:
        outcome = (f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
                   f"{len(report.failed)} failed" + (f", {len(report.held)} held" if report.held else ""))
    return {"Job": job.title, "Status": job.status.capitalize(), "Progress": job.progress,
            "By": job.requested_by, "Submitted": job.created_at.replace("T", " ")[:16] + " UTC", "Outcome": outcome}
