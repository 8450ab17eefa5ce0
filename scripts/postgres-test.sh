#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 (Debian's binaries, a tmp dir, a free port),
# print its URL, and stop it on Ctrl-C. The test suite does the same through a pytest fixture
# (tests/storage/conftest.py); this script is for trying the results DB on PostgreSQL by hand:
#   scripts/postgres-test.sh            # then, in another shell:
#   SOHOA_DATABASE_URL=<printed url> .venv/bin/sohoa db upgrade
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python - <<'PY'
import signal, sys, time
from storage._exec import postgres

cluster = postgres.start()
print(cluster.url("postgres"), flush=True)
print(f"data and log in {cluster.root}; Ctrl-C stops and removes it", file=sys.stderr, flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    while True:
        time.sleep(3600)
except (KeyboardInterrupt, SystemExit):
    pass
finally:
    postgres.stop(cluster)
PY
