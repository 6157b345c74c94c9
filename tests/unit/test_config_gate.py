"""The configuration gate: the settings a security review checks first, checked on every run.

XSRF protection on, no tracebacks in the browser, no telemetry (Streamlit or Chroma), an
upload limit that matches the tutor's own, secrets kept out of git, and dependency
floors above the releases with published vulnerabilities. A change that loosens any of
these fails here with the reason.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tutor.settings import PROJECT_ROOT, Settings

CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# package -> (lowest release we accept, why): each floor is above a release with a published advisory.
SAFE_FLOORS = {
    "streamlit": ("1.50", "path traversal and XSS fixed in the 1.3x-1.4x releases"),
    "pypdf": ("6.1", "CVE-2025-55197 and later denial-of-service fixes for crafted streams"),
    "cryptography": ("44.0.1", "CVE-2024-12797 (OpenSSL in the wheels)"),
    "pyyaml": ("6.0.2", "CVE-2020-14343 (full_load code execution) and later fixes"),
    "python-docx": ("1.2", "lxml without external entities"),
    "defusedxml": ("0.7.1", "entity expansion and external entities in Moodle XML"),
    "authlib": ("1.6.5", "CVE-2025-59420 (JWS crit headers), CVE-2025-61920 / 62706 (denial of service)"),
    "langchain-core": ("1.2.5", "CVE-2025-68664 (serialisation injection)"),
    "argon2-cffi": ("23.1", "Argon2id defaults of RFC 9106"),
}


def test_xsrf_protection_is_on_and_the_server_is_headless():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["server"]["headless"] is True


def test_no_traceback_reaches_the_browser():
    assert CONFIG["client"]["showErrorDetails"] in ("none", False)


def test_streamlit_telemetry_is_off():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_chroma_telemetry_is_off(tmp_path):
    from tutor.index.chroma_client import ChromaLink

    assert ChromaLink(path=tmp_path / "chroma").client().get_settings().anonymized_telemetry is False


def test_streamlit_does_not_collect_garbage_after_every_click():
    """A full gc.collect() per script run cost 150-300 ms of CPU per click with the models loaded."""
    assert CONFIG["runner"]["postScriptGC"] is False


def test_the_upload_limit_is_set_and_matches_the_tutors_own():
    assert CONFIG["server"]["maxUploadSize"] == Settings().max_upload_mb <= 100


def test_secrets_stay_out_of_git():
    ignored = (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored
    assert not (PROJECT_ROOT / ".streamlit" / "secrets.toml").exists() or ".streamlit/secrets.toml" in ignored


@pytest.mark.parametrize("package", sorted(SAFE_FLOORS))
def test_dependency_floors_exclude_known_vulnerable_releases(package: str):
    floor, why = SAFE_FLOORS[package]
    requirements = {Requirement(r).name.lower(): Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
    assert package in requirements, f"{package} is no longer a dependency: drop it from SAFE_FLOORS"
    lower = [Version(s.version) for s in requirements[package].specifier if s.operator in (">=", "==", "~=")]
    assert lower and min(lower) >= Version(floor), f"{package} needs a floor of at least {floor}: {why}"
    assert Version(version(package)) >= Version(floor), f"the installed {package} is below {floor}: {why}"
