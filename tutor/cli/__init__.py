"""The ``tutor`` command line: library commands in :mod:`tutor.cli.app`, one module per command group."""

from tutor.cli.app import main
from tutor.cli.cases import cases
from tutor.cli.questions import questions

main.add_command(questions)
main.add_command(cases)

__all__ = ["main"]
