"""``python -m tutor.ui.serve [streamlit options]``: an app process that is ready before it listens.

Why: ``streamlit run`` opens its port at once and builds nothing until the first session
arrives, so behind a load balancer the first students sent to a fresh process (at start, or
after the launcher restarted a dead one) waited while it imported the libraries, built the
services and loaded the models: page first render 23 ms p50 but 4.1 s p95 in the load test
(docs/measurements.md, "Several processes"). This command does that work first, into the
same ``st.cache_resource`` entry the pages use (:func:`tutor.ui.deps.warm_up`), and then
hands over to Streamlit's own command line, so the port opens, and the health check passes,
only when a session would be served at once. ``tutor school``, the Procfile and the systemd
units start app processes this way; ``make run`` keeps plain ``streamlit run``.
"""

from __future__ import annotations

import sys

from tutor.settings import PROJECT_ROOT


def main(argv: list[str] | None = None) -> None:
    from tutor.ui.deps import warm_up

    warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py"),
                *(sys.argv[1:] if argv is None else argv)]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
