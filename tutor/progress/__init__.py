"""The learner progress store: what each student did, and what they should do next.

SQLite is the source of truth for everything about a learner (quiz attempts, spaced
repetition cards and their review logs, clinical-case sessions, tutor chat turns);
nothing about a learner is written anywhere else, the vector index included.

* :mod:`tutor.progress.migrations` - the schema, as append-only sqlite-utils migrations.
* :mod:`tutor.progress.records` - the immutable values the store accepts and returns.
* :mod:`tutor.progress.store` - :class:`~tutor.progress.store.ProgressStore`, one unit of
  work per method, safe to call from many threads and processes at once.
* :mod:`tutor.clock` - the injected clock and the one timestamp format.
"""
