"""Learners, courses and enrolments: who may practise what.

Part of :class:`tutor.progress.store.ProgressStore` (its module docstring holds the
concurrency and failure rules every part keeps).
"""

from __future__ import annotations



from tutor.progress.records import Course, CourseRole, Enrollment, Learner, LearnerRole
from tutor.progress.rows import (
    check_choice as _check_choice,
    one as _one,
    record as _record,
    required_text as _required_text,
    UNKNOWN_LEARNER_OR_COURSE as _UNKNOWN_LEARNER_OR_COURSE,
)


class LearnerRecords:
    """The learners part of the progress store (a mixin of ``ProgressStore``)."""

    def ensure_learner(
        self, username: str, display_name: str | None = None, role: LearnerRole = "student"
    ) -> Learner:
        """The learner with this username, created if new.

        Idempotent: an existing learner is returned unchanged, whatever ``display_name``
        and ``role`` say, so that a login can never rename a learner or change a role.
        Usernames are matched case-insensitively (ASCII) and stripped of surrounding blanks.
        """
        username = _required_text(username, "username")
        _check_choice(role, LearnerRole, "role")
        display_name = (display_name or "").strip() or username
        with self._write() as db:
            db.execute(
                "INSERT INTO learners (username, display_name, role, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(username) DO NOTHING",
                [username, display_name, role, self._stamp()],
            )
            row = _one(db, "SELECT * FROM learners WHERE username = ?", [username])
        return _record(Learner, row)

    def get_learner(self, username: str) -> Learner | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM learners WHERE username = ?", [username.strip()])
        return None if row is None else _record(Learner, row)

    def get_learner_by_id(self, learner_id: int) -> Learner | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM learners WHERE id = ?", [learner_id])
        return None if row is None else _record(Learner, row)

    def ensure_course(self, course_id: str, title: str) -> Course:
        """The course, created if new. The title follows the curriculum: a changed title is updated."""
        course_id = _required_text(course_id, "course_id")
        title = _required_text(title, "title")
        with self._write() as db:
            db.execute(
                "INSERT INTO courses (id, title, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET title = excluded.title WHERE title != excluded.title",
                [course_id, title, self._stamp()],
            )
            row = _one(db, "SELECT * FROM courses WHERE id = ?", [course_id])
        return _record(Course, row)

    def enroll(self, learner_id: int, course_id: str, role: CourseRole = "student") -> Enrollment:
        """Enrol a learner in a course, or change their role in it; idempotent."""
        _check_choice(role, CourseRole, "role")
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            db.execute(
                "INSERT INTO enrollments (learner_id, course_id, role, enrolled_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(learner_id, course_id) DO UPDATE SET role = excluded.role",
                [learner_id, course_id, role, self._stamp()],
            )
            row = _one(
                db, "SELECT * FROM enrollments WHERE learner_id = ? AND course_id = ?", [learner_id, course_id]
            )
        return _record(Enrollment, row)

    def enrollments_for(self, learner_id: int) -> list[Enrollment]:
        """The courses a learner is enrolled in, in the order they were enrolled."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM enrollments WHERE learner_id = ? ORDER BY enrolled_at, rowid", [learner_id]
            )
            return [_record(Enrollment, row) for row in rows]
