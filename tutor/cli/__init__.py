"""The ``tutor`` command line: library commands in :mod:`tutor.cli.app`, one module per command group."""

from tutor.cli.app import main
from tutor.cli.cases import cases
from tutor.cli.evals import eval_command, eval_medquad, eval_pubmedqa, judge_calibrate
from tutor.cli.export import export
from tutor.cli.held import held
from tutor.cli.jobs import jobs, worker
from tutor.cli.questions import questions
from tutor.cli.school import school
from tutor.cli.users import users

main.add_command(questions)
main.add_command(cases)
main.add_command(users)
main.add_command(export)
main.add_command(held)
main.add_command(worker)
main.add_command(jobs)
main.add_command(school)
for command in (eval_command, eval_pubmedqa, eval_medquad, judge_calibrate):
    main.add_command(command)

__all__ = ["main"]
