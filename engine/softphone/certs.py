"""The DTLS certificate of the softphones' media (WebRTC requires DTLS-SRTP), made at
setup with ``openssl`` when missing: a self-signed EC key (browsers check the
certificate's fingerprint from the SDP, not a chain). Used by ``sandbox/render.install``
for the sandbox and the Docker image alike."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from engine.softphone.render import CERT_FILE, KEY_FILE


class CertError(RuntimeError):
    pass


def ensure(etc: Path, days: int = 3650) -> bool:
    """Create ``keys/tenure-dtls.{crt,key}`` under Asterisk's ``etc`` folder unless both
    exist; True if made."""
    crt, key = (
        etc / Path(CERT_FILE).relative_to("/etc/asterisk"),
        etc / Path(KEY_FILE).relative_to("/etc/asterisk"),
    )
    if crt.exists() and key.exists():
        return False
    if shutil.which("openssl") is None:
        raise CertError("openssl is not installed (the softphone's DTLS certificate needs it)")
    crt.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", str(days), "-subj", "/CN=tenure-softphone",
         "-keyout", str(key), "-out", str(crt)],
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    if done.returncode != 0:
        raise CertError(f"openssl could not make the DTLS certificate: {done.stderr.strip()}")
    key.chmod(0o640)
    crt.chmod(0o644)
    return True
