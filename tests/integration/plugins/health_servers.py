# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real HTTP and HTTPS servers for the health probe tests, and a throwaway CA for them.

Servers listen on 127.0.0.1 in the test port range 47000-47999 and run in daemon threads.
Routes: ``/health`` (JSON), ``/host`` (echoes the Host header and the TLS SNI name),
``/slow?s=1``, ``/status/502``, ``/flaky?id=x&fail=2`` (503 for the first ``fail`` requests of
``id``), ``/big`` (2 MiB), ``/text`` (not JSON).
"""

from __future__ import annotations

import datetime
import errno
import json
import random
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PORT_RANGE = (47000, 47999)
SERVICE_HOST = "svc.ztest.localhost"


def free_port():
    """A port in the test range that nothing listens on right now."""
    for _attempt in range(200):
        port = random.randint(*PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in %d-%d" % PORT_RANGE)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class names it so; keep test output quiet
        pass

    def reply(self, status, payload, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = dict((k, v[0]) for k, v in parse_qs(url.query).items())
        if url.path == "/health":
            self.reply(200, {"status": "UP", "items": [1, 2, 3]})
        elif url.path == "/host":
            self.reply(200, {"host": self.headers.get("Host"), "sni": list(self.server.sni_names)})
        elif url.path == "/slow":
            time.sleep(float(query.get("s", "1")))
            self.reply(200, {"status": "UP"})
        elif url.path.startswith("/status/"):
            self.reply(int(url.path.rsplit("/", 1)[1]), {"status": "DOWN"})
        elif url.path == "/flaky":
            with self.server.lock:
                count = self.server.counters[query["id"]] = self.server.counters.get(query["id"], 0) + 1
            self.reply(503 if count <= int(query.get("fail", "1")) else 200, {"request": count})
        elif url.path == "/big":
            self.reply(200, b"x" * (2 << 20), "text/plain")
        elif url.path == "/text":
            self.reply(200, b"<html>fine</html>", "text/html")
        else:
            self.reply(404, {"error": "not found"})


class Server:
    """A threaded HTTP(S) server on 127.0.0.1; ``stop()`` closes it."""

    def __init__(self, tls=None):
        for _attempt in range(20):
            try:
                self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
                break
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
        self.httpd.daemon_threads = True
        self.httpd.counters = {}
        self.httpd.lock = threading.Lock()
        self.httpd.sni_names = []
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls["cert"], tls["key"])
            ctx.sni_callback = lambda _sock, name, _ctx: self.httpd.sni_names.append(name)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert, host, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(_name(host)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def write_pki(directory, host=SERVICE_HOST, days=10):
    """A CA, a server certificate for ``host`` valid ``days`` more days, and an unrelated CA.

    Returns paths: ``ca``, ``wrong_ca``, ``cert``, ``key``, and ``not_after`` (datetime)."""
    ca_key, ca_cert = make_ca("ztest health CA")
    _other_key, other_cert = make_ca("ztest unrelated CA")
    not_after = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=days)
    key, cert = make_leaf(ca_key, ca_cert, host, not_after)
    paths = {"ca": directory / "ca.pem", "wrong_ca": directory / "wrong-ca.pem",
             "cert": directory / "server.pem", "key": directory / "server.key"}
    paths["ca"].write_bytes(_pem(ca_cert))
    paths["wrong_ca"].write_bytes(_pem(other_cert))
    paths["cert"].write_bytes(_pem(cert) + _pem(ca_cert))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    result = dict((name, str(path)) for name, path in paths.items())
    result["not_after"] = not_after
    return result
