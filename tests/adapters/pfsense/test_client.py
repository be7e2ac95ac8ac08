"""The client: the envelope, how each status is classified, Retry-After, TLS by CA or by pin."""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.pfsense import (
    FirewallBusy,
    FirewallConflict,
    FirewallMisconfigured,
    FirewallRefused,
    OutcomeUnknown,
    TlsSettings,
)
from adapters.pfsense.client import PfSenseClient
from domain.model.errors import Conflict, ExternalFailure, Unavailable
from simulators.pfsense import PfSenseSimulator
from tests.contract.pfsense_rig import KEY_AUTH


@pytest.fixture
def sim() -> Iterator[PfSenseSimulator]:
    with PfSenseSimulator(auth_methods=KEY_AUTH) as simulator:
        yield simulator
    simulator.assert_no_violations()


def client(sim: PfSenseSimulator, pauses: list[float], key: str | None = None) -> PfSenseClient:
    return PfSenseClient(sim.url, key or sim.api_key, sleep=pauses.append)


def test_data_comes_out_of_the_envelope(sim: PfSenseSimulator):
    rules = client(sim, []).get("/firewall/rules", descr__startswith="Default allow LAN")
    assert [r["descr"] for r in rules] == [
        "Default allow LAN to any rule",
        "Default allow LAN IPv6 to any rule",
    ]


def test_a_wrong_key_is_a_configuration_alarm_not_a_retry(sim: PfSenseSimulator):
    pauses: list[float] = []
    with pytest.raises(FirewallMisconfigured) as raised:
        client(sim, pauses, key="not-the-key").get("/firewall/rules")
    assert raised.value.status == 401 and not raised.value.transient
    assert pauses == [] and len(sim.requests) == 1


def test_a_key_without_write_privilege_is_a_configuration_alarm(sim: PfSenseSimulator):
    c = client(sim, [], key=sim.read_only_api_key)
    with pytest.raises(FirewallMisconfigured) as raised:
        c.post("/interface/vlan", {"if": "vtnet1", "tag": 100, "descr": "x"})
    assert raised.value.status == 403 and raised.value.response_id == "AUTH_AUTHORIZATION_FAILED"


def test_validation_errors_are_refusals_with_the_response_id(sim: PfSenseSimulator):
    with pytest.raises(FirewallRefused) as raised:
        client(sim, []).post("/interface/vlan", {"if": "vtnet9", "tag": 100, "descr": "x"})
    assert raised.value.status == 400
    assert raised.value.response_id == "VLAN_INTERFACE_PARENT_NOT_FOUND"
    assert not isinstance(raised.value, Unavailable)


def test_a_409_is_a_conflict_and_an_external_failure(sim: PfSenseSimulator):
    sim.fail_next("POST", "/interface/vlan", status=409, response_id="SOME_OVERLAP")
    with pytest.raises(FirewallConflict) as raised:
        client(sim, []).post("/interface/vlan", {"if": "vtnet1", "tag": 100, "descr": "x"})
    assert isinstance(raised.value, Conflict) and isinstance(raised.value, ExternalFailure)
    assert raised.value.response_id == "SOME_OVERLAP"


def test_reads_wait_out_a_503_as_long_as_retry_after_says(sim: PfSenseSimulator):
    pauses: list[float] = []
    sim.fail_next("GET", "/firewall/rules", status=503, times=2, retry_after=7)
    assert client(sim, pauses).get("/firewall/rules")
    assert pauses == [7.0, 7.0]


def test_a_write_is_sent_once_and_a_503_says_when_to_come_back(sim: PfSenseSimulator):
    sim.fail_next("POST", "/interface/vlan", status=503, retry_after=3)
    with pytest.raises(FirewallBusy) as raised:
        client(sim, []).post("/interface/vlan", {"if": "vtnet1", "tag": 100, "descr": "x"})
    assert raised.value.retry_after == 3.0 and isinstance(raised.value, Unavailable)
    assert sim.config_state()["vlans"] == []


@pytest.mark.parametrize("status", [502, 504, 0])
def test_a_lost_answer_to_a_write_is_an_unknown_outcome(sim: PfSenseSimulator, status: int):
    sim.fail_next("POST", "/interface/vlan", status=status, after_commit=True)
    with pytest.raises(OutcomeUnknown):
        client(sim, []).post("/interface/vlan", {"if": "vtnet1", "tag": 100, "descr": "x"})
    assert len(sim.config_state()["vlans"]) == 1  # it did land: the caller must read first


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a fresh pfSense box has."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def fingerprint(cert: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    return hashlib.sha256(der).hexdigest()


@pytest.fixture
def tls_sim(certificate: tuple[Path, Path]) -> Iterator[PfSenseSimulator]:
    with PfSenseSimulator(
        tls_cert=str(certificate[0]), tls_key=str(certificate[1]), auth_methods=KEY_AUTH
    ) as simulator:
        yield simulator


def test_a_pinned_certificate_is_accepted(tls_sim, certificate):
    pinned = TlsSettings(fingerprint_sha256=fingerprint(certificate[0]))
    c = PfSenseClient(tls_sim.url, tls_sim.api_key, tls=pinned)
    assert tls_sim.url.startswith("https://") and c.get("/interface/vlans") == []


def test_a_certificate_that_is_not_the_pinned_one_is_a_configuration_alarm(tls_sim):
    pinned = TlsSettings(fingerprint_sha256="00" * 32)
    c = PfSenseClient(tls_sim.url, tls_sim.api_key, tls=pinned, sleep=lambda _: None)
    with pytest.raises(FirewallMisconfigured):
        c.get("/interface/vlans")


def test_a_ca_file_verifies_the_firewall(tls_sim, certificate):
    trusted = PfSenseClient(
        tls_sim.url, tls_sim.api_key, tls=TlsSettings(ca_file=str(certificate[0]))
    )
    assert trusted.get("/interface/vlans") == []
    with pytest.raises(FirewallMisconfigured):
        PfSenseClient(tls_sim.url, tls_sim.api_key).get("/interface/vlans")  # system CAs only
