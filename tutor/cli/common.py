"""What every ``tutor`` command shares: error translation, JSON output, progress bars.

``--json`` prints exactly one JSON document on stdout; progress and messages go to
stderr, so the JSON can be piped. Errors are translated here, in one place: a
:class:`TutorError` prints its user message and exits 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from tutor.errors import TutorError
from tutor.modes.access import Actor
from tutor.settings import load_settings

EXIT_PARTIAL = 1

OPERATOR = Actor.operator()
"""Whoever runs ``tutor`` holds the data files, so the commands act as an administrator."""


class TutorGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TutorError as exc:
            click.secho(f"Error: {exc.user_message}", err=True, fg="red")
            sys.exit(1)


def build():
    from tutor.services import build_services

    return build_services(load_settings())


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[float, str], None] | None]:
    """A terminal progress bar on stderr, or nothing when stderr is not a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    with click.progressbar(length=1000, label=label, file=sys.stderr, show_eta=False) as bar:
        shown = 0

        def update(fraction: float, message: str) -> None:
            nonlocal shown
            target = int(fraction * 1000)
            bar.label = f"{label} {message[:50]:<50}"
            if target > shown:
                bar.update(target - shown)
                shown = target

        yield update



def cli_learner(services) -> int:
    """The learner the command line acts as (attempts and chat turns need one)."""
    return services.progress.ensure_learner("cli", "Command line").id
