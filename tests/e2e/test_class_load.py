"""The load test's harness at a size the default run can afford: a few students, half a minute.

The full run (100 students, 5 minutes, 200 documents) is ``python -m tests.load.class_load``;
its figures are in docs/measurements.md. This keeps the harness honest: real ``tutor
school`` on loopback, students speaking Streamlit's protocol through HAProxy, an ingest
job, an app process killed half-way, and every stored row counted afterwards.
"""

from __future__ import annotations

from tests.engines import require
from tests.load.class_load import run_class


def test_a_small_class_under_load_loses_nothing_when_an_app_process_is_killed(tmp_path):
    require("haproxy", "haproxy")
    report = run_class(students=4, seconds=30, apps=2, documents=5, kill_at=0.5, think_s=(1.0, 3.0), root=tmp_path)
    assert report["run"]["killed"]["at_s"] is not None  # app-1 was killed while the class worked
    assert report["errors"] == 0, report["error_examples"]
    checks = report["checks"]
    assert checks["quiz_answers_acknowledged"] > 0 and not checks["quiz_answers_mismatched_students"]
    assert checks["quiz_answers_stored_twice"] == 0 and not checks["writes_in_doubt_stored_twice"]
    assert not checks["case_steps_not_stored_once"] and not checks["chat_turns_not_stored_once"]
    assert checks["orphan_vectors"] == checks["passages_without_vector"] == 0
    assert report["ingest"]["returncode"] == 0 and checks["documents"] >= 5
    assert report["ok"]
