"""TLS to a node with PVE's self-signed certificate: a pinned SHA-256 fingerprint or the
cluster CA file lets the client in; anything else is refused before a request is sent."""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from adapters.proxmox.client import FingerprintPinningAdapter, ProxmoxClient
from adapters.proxmox.config import ProxmoxConnection
from domain.model.errors import ExternalFailure

from .conftest import TOKEN_ID, TOKEN_SECRET
from .stub_pve import Reply, StubPve


@attrs.frozen
class Certificate:
    cert_file: Path
    key_file: Path
    fingerprint: str  # "AA:BB:..." as PVE shows it


def _self_signed(directory: Path, name: str) -> Certificate:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    digest = hashlib.sha256(der).hexdigest().upper()
    return Certificate(cert, key, ":".join(digest[i : i + 2] for i in range(0, 64, 2)))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Certificate, Certificate]:
    directory = tmp_path_factory.mktemp("tls")
    return _self_signed(directory, "node"), _self_signed(directory, "other")


@pytest.fixture
def https_stub(certificates) -> Iterator[StubPve]:
    node, _ = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(node.cert_file, node.key_file)
    with StubPve(tls=context) as server:
        server.reply("GET", "/version", *[Reply(data={"version": "8.4.1"})] * 3)
        yield server


def _client(url: str, **tls: str) -> ProxmoxClient:
    connection = ProxmoxConnection(url, TOKEN_ID, TOKEN_SECRET, connect_timeout=2, **tls)
    return ProxmoxClient(connection, sleep=lambda _: None)


def test_the_pinned_certificate_is_trusted(https_stub: StubPve, certificates):
    node, _ = certificates
    assert _client(https_stub.url, fingerprint_sha256=node.fingerprint).get("/version") == {
        "version": "8.4.1"
    }
    lower_case_without_colons = node.fingerprint.replace(":", "").lower()
    assert _client(https_stub.url, fingerprint_sha256=lower_case_without_colons).get("/version")


def test_another_certificate_than_the_pinned_one_is_refused(https_stub, certificates):
    _, other = certificates
    with pytest.raises(ExternalFailure, match="TLS") as refused:
        _client(https_stub.url, fingerprint_sha256=other.fingerprint).get("/version")
    assert refused.value.details.get("tls") is True
    assert https_stub.seen == []  # nothing went over the wire, and nothing was retried


def test_the_cluster_ca_file_is_trusted_and_the_system_store_is_not_enough(
    https_stub, certificates
):
    node, other = certificates
    assert _client(https_stub.url, ca_file=str(node.cert_file)).get("/version")
    with pytest.raises(ExternalFailure, match="TLS"):
        _client(https_stub.url, ca_file=str(other.cert_file)).get("/version")
    with pytest.raises(ExternalFailure, match="TLS"):
        _client(https_stub.url).get("/version")  # a self-signed cert is not in the trust store


def test_a_malformed_pin_is_refused_at_start():
    with pytest.raises(ValueError, match="64 hex"):
        FingerprintPinningAdapter("AB:CD")
