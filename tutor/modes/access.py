"""Who is acting, and the checks every data function makes before it reads or writes.

The UI resolves the signed-in user to an :class:`Actor` on the server, once per
request, from the session (never from anything the browser sends: a query parameter
or a form field cannot change who you are). Every service method that touches data
that is not curriculum takes either the actor or the acting learner's id and checks,
with the helpers here:

* learner-owned records (a quiz block, a case session, a conversation, a dashboard)
  belong to the learner who asks; only staff may look at someone else's, and only
  through the instructor functions, which never change a learner's record;
* instructor functions (library, question bank, case reviews, class dashboards,
  item analysis, export) need the ``instructor`` or ``admin`` role;
* account management needs ``admin``.

The refusal message never says whose a record is or whether it exists, so editing an
id in the URL learns nothing. ``tests/integration/test_authorization.py`` calls every
such function as every role.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from tutor.errors import AccessDenied
from tutor.progress.records import Learner, LearnerRole

STAFF: tuple[LearnerRole, ...] = ("instructor", "admin")


@dataclass(frozen=True)
class Actor:
    learner_id: int
    username: str
    display_name: str
    role: LearnerRole

    @classmethod
    def of(cls, learner: Learner) -> Actor:
        return cls(learner_id=learner.id, username=learner.username, display_name=learner.display_name, role=learner.role)

    @classmethod
    def operator(cls) -> Actor:
        """Whoever runs the ``tutor`` command on the server: they hold the files, so they act as admin."""
        return cls(learner_id=0, username=f"operator:{getpass.getuser()}", display_name="Operator", role="admin")

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def require_staff(self) -> None:
        if not self.is_staff:
            raise AccessDenied("This is for instructors. Sign in with an instructor account to use it.")

    def require_admin(self) -> None:
        if self.role != "admin":
            raise AccessDenied("Only an administrator can manage accounts.")

    def require_self_or_staff(self, learner_id: int) -> None:
        """A learner's own records; staff may read anyone's in their course."""
        if learner_id != self.learner_id and not self.is_staff:
            raise AccessDenied()
