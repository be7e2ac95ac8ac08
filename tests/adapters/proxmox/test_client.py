"""The client's wire format, error mapping and retry policy, against a scripted endpoint."""

from __future__ import annotations

import logging

import pytest

from adapters.proxmox.client import ProxmoxClient
from domain.model.errors import (
    AlreadyExists,
    Conflict,
    ExternalFailure,
    Locked,
    NotFound,
    Unavailable,
    ValidationError,
)

from .conftest import TOKEN_ID, TOKEN_SECRET
from .stub_pve import Reply, StubPve

UPID = "UPID:pve1:00002A10:00061A80:65CF8596:vzstart:100:hostprovider@pve!panel:"
LOCK_TIMEOUT = "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout"


def test_token_header_form_body_booleans_and_envelope(stub: StubPve, client: ProxmoxClient):
    stub.reply("POST", "/nodes/pve1/lxc/100/status/shutdown", Reply(data=UPID))
    answer = client.post(
        "/nodes/pve1/lxc/100/status/shutdown", timeout=60, forceStop=True, skip=None
    )
    assert answer == UPID
    (seen,) = stub.seen
    assert seen.headers["Authorization"] == f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"
    assert seen.form == {"timeout": ["60"], "forceStop": ["1"]}  # 1/0, never "True"
    assert seen.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_reads_send_query_parameters(stub: StubPve, client: ProxmoxClient):
    stub.reply("GET", "/cluster/resources", Reply(data=[{"vmid": 100}]))
    assert client.get("/cluster/resources", type="vm") == [{"vmid": 100}]
    assert stub.seen[0].query == {"type": ["vm"]} and stub.seen[0].form == {}


@pytest.mark.parametrize(
    ("reply", "error", "detail"),
    [
        (
            Reply(500, reason="Configuration file 'nodes/pve1/lxc/999.conf' does not exist"),
            NotFound,
            "guest 999",
        ),
        (Reply(500, reason="CT 100 already exists on node 'pve1'"), AlreadyExists, "already"),
        (
            Reply(500, reason="unable to create VM 101: config file already exists"),
            AlreadyExists,
            "config file",
        ),
        (Reply(500, reason="CT 100 already running"), Conflict, "already running"),
        (
            Reply(500, reason="unable to destroy CT 100 - container is running"),
            Conflict,
            "is running",
        ),
        (Reply(500, reason="hostname lookup 'nowhere' failed - ..."), NotFound, "node nowhere"),
        (Reply(595, reason="No route to host"), Unavailable, "No route"),
        (
            Reply(403, reason="Permission check failed (/vms/100, VM.PowerMgmt)"),
            ExternalFailure,
            "VM.PowerMgmt",
        ),
        (Reply(401, reason="Authentication failed!"), ExternalFailure, "token"),
        (
            Reply(501, reason="Method 'POST /nodes/pve1/lxc/100/exec' not implemented"),
            ExternalFailure,
            "not implemented",
        ),
        (Reply(500, reason="unable to shrink disk size"), ValidationError, "disk"),
    ],
)
def test_errors_become_domain_errors(stub, client, reply, error, detail):
    stub.reply("POST", "/nodes/pve1/lxc/100/status/start", reply)
    with pytest.raises(error, match=detail) as raised:
        client.post("/nodes/pve1/lxc/100/status/start")
    assert type(raised.value) is error  # not a broader class that happens to match
    assert len(stub.seen) == 1  # none of these is repeated


def test_the_message_member_wins_over_the_reason_phrase(stub, client):
    body = {"data": None, "message": "CT 100 not running\n"}
    stub.reply("POST", "/nodes/pve1/lxc/100/status/stop", Reply(500, reason="x", body=body))
    with pytest.raises(Conflict, match="CT 100 not running"):
        client.post("/nodes/pve1/lxc/100/status/stop")


def test_a_parameter_error_names_the_field(stub: StubPve, client: ProxmoxClient):
    body = {"data": None, "errors": {"memory": "value must have a minimum value of 16"}}
    stub.reply(
        "POST", "/nodes/pve1/lxc", Reply(400, reason="Parameter verification failed.", body=body)
    )
    with pytest.raises(ValidationError) as raised:
        client.post("/nodes/pve1/lxc", vmid=100, memory=1)
    assert raised.value.field == "memory" and "minimum" in raised.value.message


def test_passwords_never_reach_an_error_or_a_log(stub, client, caplog):
    secret = "Hunter2-very-secret"
    body = {"data": None, "errors": {"password": f"invalid format - '{secret}' too weak"}}
    stub.reply(
        "POST", "/nodes/pve1/lxc", Reply(400, reason="Parameter verification failed.", body=body)
    )
    caplog.set_level(logging.DEBUG, logger="adapters.proxmox")
    with pytest.raises(ValidationError) as raised:
        client.post("/nodes/pve1/lxc", vmid=100, password=secret)
    assert secret not in str(raised.value) and secret not in repr(raised.value.details)
    assert secret not in caplog.text and TOKEN_SECRET not in caplog.text
    assert "***" in raised.value.message


def test_reads_are_retried_with_backoff_on_transient_trouble(stub, client, pauses):
    stub.reply(
        "GET",
        "/cluster/nextid",
        Reply(503, reason="Service Unavailable"),
        Reply(596, reason="Connection timed out"),
        Reply(data="107"),
    )
    assert client.get("/cluster/nextid") == "107"
    assert pauses == [1.0, 2.0]


def test_reads_give_up_after_their_attempts(stub, client, pauses):
    stub.reply("GET", "/cluster/nextid", *[Reply(503, reason="busy")] * 4)
    with pytest.raises(Unavailable):
        client.get("/cluster/nextid")
    assert len(stub.seen) == 4 and pauses == [1.0, 2.0, 4.0]


def test_writes_are_not_repeated_on_transient_trouble(stub, client, pauses):
    stub.reply("POST", "/nodes/pve1/lxc/100/status/start", Reply(503, reason="busy"))
    with pytest.raises(Unavailable):
        client.post("/nodes/pve1/lxc/100/status/start")
    assert len(stub.seen) == 1 and pauses == []


def test_a_write_refused_by_a_lock_is_repeated_with_backoff(stub, client, pauses):
    stub.reply(
        "PUT",
        "/nodes/pve1/lxc/100/config",
        Reply(500, reason="CT is locked (backup)"),
        Reply(500, reason=LOCK_TIMEOUT),
        Reply(data=None),
    )
    assert client.put("/nodes/pve1/lxc/100/config", cores=2) is None
    assert len(stub.calls("PUT", "/nodes/pve1/lxc/100/config")) == 3
    assert pauses == [1.0, 2.0]


def test_a_lock_that_stays_becomes_locked(stub, client, pauses):
    stub.reply("PUT", "/nodes/pve1/lxc/100/config", *[Reply(500, reason=LOCK_TIMEOUT)] * 5)
    with pytest.raises(Locked, match="got timeout"):
        client.put("/nodes/pve1/lxc/100/config", cores=2)
    assert len(stub.seen) == 5 and pauses == [1.0, 2.0, 4.0, 8.0]


def test_an_unreachable_cluster_is_unavailable(pauses):
    from adapters.proxmox.config import ProxmoxConnection

    closed = ProxmoxConnection("http://127.0.0.1:9", TOKEN_ID, TOKEN_SECRET, connect_timeout=1)
    with pytest.raises(Unavailable):
        ProxmoxClient(closed, sleep=pauses.append).get("/version")
    assert len(pauses) == 3
