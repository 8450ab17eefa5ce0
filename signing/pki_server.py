"""The test PKI's online services over real HTTP on 127.0.0.1: an RFC 3161 time-stamping
authority (POST /tsa), an OCSP responder (POST /ocsp, GET /ocsp/<base64>) and the root's CRL
(GET /crl/root.crl). For tests and the demo only; a real converter uses its CA's services.

The responses are built by certomancer's service classes (the ones its `animate` server uses),
served by the standard library's HTTP server so no WSGI stack is needed.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from signing.pki import REVOKED_LIST, TestPki


def _load_cert(path: Path):  # type: ignore[no-untyped-def]
    from asn1crypto import pem, x509

    data = path.read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def _load_key(path: Path):  # type: ignore[no-untyped-def]
    from pyhanko.keys import load_private_key_from_pemder

    return load_private_key_from_pemder(str(path), passphrase=None)


def _revocations(issuer, revoked: dict[int, dt.datetime]):  # type: ignore[no-untyped-def]
    from certomancer.services import RevocationInfoInterface

    class _Revocations(_RevocationsBase, RevocationInfoInterface):
        pass

    return _Revocations(issuer, revoked)


class _RevocationsBase:
    """certomancer's RevocationInfoInterface over the PKI's revoked.txt."""

    def __init__(self, issuer, revoked: dict[int, dt.datetime]) -> None:  # type: ignore[no-untyped-def]
        self.issuer = issuer
        self.revoked = revoked

    def get_issuer_cert(self):  # type: ignore[no-untyped-def]
        return self.issuer

    def check_revocation_status(self, cid, at_time):  # type: ignore[no-untyped-def]
        from asn1crypto import ocsp

        serial = cid["serial_number"].native
        when = self.revoked.get(serial)
        if when is not None and when <= at_time:
            info = ocsp.RevokedInfo({"revocation_time": when, "revocation_reason": "key_compromise"})
            return ocsp.CertStatus(name="revoked", value=info), []
        return ocsp.CertStatus(name="good", value=None), []


def _read_revoked(pki_dir: Path) -> dict[int, dt.datetime]:
    path = pki_dir / REVOKED_LIST
    out: dict[int, dt.datetime] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                serial, when = line.split()
                out[int(serial, 16)] = dt.datetime.fromisoformat(when)
    return out


class TestPkiServer:
    """Bind first (port 0), so the URL can go into the certificates; then `attach(pki)`."""

    __test__ = False

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hits: Counter[str] = Counter()
        self._pki: TestPki | None = None
        self._material: dict[str, object] = {}
        self._down = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            # Buffered: headers and body leave in one segment (unbuffered writes meet the client's
            # delayed ACK and cost ~40 ms per request).
            wbufsize = -1

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server._answer(self, self.path, body)

            def do_GET(self) -> None:
                server._answer(self, self.path, None)

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def attach(self, pki: TestPki) -> None:
        self._pki = pki
        self._material.clear()

    def _load(self, name: str, loader, path: Path):  # type: ignore[no-untyped-def]
        # Parsed once per PKI: a real TSA keeps its key loaded too.
        if name not in self._material:
            self._material[name] = loader(path)
        return self._material[name]

    def set_down(self, down: bool) -> None:
        """Answer 503 to everything: a responder that cannot be reached, without freeing the port."""
        self._down = down

    def start(self) -> TestPkiServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="test-pki-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> TestPkiServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------------ responses
    def _answer(self, h: BaseHTTPRequestHandler, path: str, body: bytes | None) -> None:
        route = urllib.parse.urlsplit(path).path
        self.hits[route.split("/")[1] if route.count("/") else route] += 1
        try:
            if self._down or self._pki is None:
                return self._send(h, 503, b"service unavailable", "text/plain")
            if route == "/tsa" and body is not None:
                return self._send(h, 200, self._timestamp(body), "application/timestamp-reply")
            if route == "/ocsp" and body is not None:
                return self._send(h, 200, self._ocsp(body), "application/ocsp-response")
            if route.startswith("/ocsp/") and body is None:
                req = base64.b64decode(urllib.parse.unquote(route[len("/ocsp/"):]))
                return self._send(h, 200, self._ocsp(req), "application/ocsp-response")
            if route == "/crl/root.crl":
                return self._send(h, 200, self._crl(), "application/pkix-crl")
            return self._send(h, 404, b"not found", "text/plain")
        except Exception as exc:  # a malformed request: a clear 400, the server keeps running
            return self._send(h, 400, f"bad request: {exc}".encode(), "text/plain")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, data: bytes, ctype: str) -> None:
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _timestamp(self, body: bytes) -> bytes:
        from asn1crypto import tsp
        from certomancer.services import TimeStamper

        pki = self._require()
        assert pki.tsa_cert_pem is not None
        stamper = TimeStamper(tsa_cert=self._load("tsa", _load_cert, pki.tsa_cert_pem),
                              tsa_key=self._load("tsa.key", _load_key, pki.dir / "tsa.key.pem"),
                              certs_to_embed=[self._load("root", _load_cert, pki.root_cert_pem)])
        return stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()

    def _ocsp(self, body: bytes) -> bytes:
        from asn1crypto import ocsp
        from certomancer.services import SimpleOCSPResponder, choose_signed_digest

        pki = self._require()
        assert pki.ocsp_cert_pem is not None
        responder_cert = self._load("ocsp", _load_cert, pki.ocsp_cert_pem)
        responder = SimpleOCSPResponder(
            responder_cert=responder_cert, responder_key=self._load("ocsp.key", _load_key, pki.dir / "ocsp.key.pem"),
            signature_algo=choose_signed_digest("sha256", responder_cert.public_key),
            at_time=dt.datetime.now(dt.UTC).replace(microsecond=0),
            revinfo_interface=_revocations(self._load("root", _load_cert, pki.root_cert_pem), _read_revoked(pki.dir)),
        )
        return responder.build_ocsp_response(ocsp.OCSPRequest.load(body)).dump()

    def _crl(self) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        pki = self._require()
        root = x509.load_pem_x509_certificate(pki.root_cert_pem.read_bytes())
        key = serialization.load_pem_private_key((pki.dir / "root.key.pem").read_bytes(), password=None)
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
                   .last_update(now - dt.timedelta(minutes=1)).next_update(now + dt.timedelta(days=1))
                   .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),  # type: ignore[arg-type]
                                  critical=False))
        for serial, when in _read_revoked(pki.dir).items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        crl = builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]
        return crl.public_bytes(serialization.Encoding.DER)

    def _require(self) -> TestPki:
        assert self._pki is not None and self._pki.services_url is not None, "attach a PKI made with services_url"
        return self._pki
