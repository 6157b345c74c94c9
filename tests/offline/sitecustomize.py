"""Loaded by Python at start-up in child processes the tests start (PYTHONPATH=tests/offline).

It blocks every outside connection in that process, as the test session does for itself;
see tests/network.py.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the project root, so that `tests` imports

from tests.network import block_outside_network  # noqa: E402

block_outside_network()
