"""The one seam to SoftHSM2's `softhsm2-util`: a throw-away PKCS#11 token for tests and the demo.

softhsm2-util reads SOFTHSM2_CONF from the environment (signing.pki.softhsm_config writes it)."""

from __future__ import annotations

from pathlib import Path

from core import tools

SOFTHSM_UTIL = "softhsm2-util"
HINT = "install softhsm2"
TIMEOUT = 60.0


def init_token(label: str, *, pin: str, so_pin: str) -> None:
    """A new token labelled `label` in the first free slot."""
    # PINs on the command line are acceptable for a throw-away test token only.
    tools.run([SOFTHSM_UTIL, "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin],
              timeout_s=TIMEOUT, hint=HINT)


def import_key(pem: Path, *, token: str, label: str, key_id: str, pin: str) -> None:
    """Put a PKCS#8 PEM private key on the token (softhsm2-util cannot import certificates)."""
    tools.run([SOFTHSM_UTIL, "--import", str(pem), "--token", token, "--label", label, "--id", key_id, "--pin", pin],
              timeout_s=TIMEOUT, hint=HINT)
