"""The pfSense simulator speaks the REST API v2 wire format and has the box's quirks: shifting ids,
saved-but-not-live changes, no uniqueness on `descr`, the write lock, and injected faults."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.pfsense import PfSenseSimulator

V2 = "/api/v2"


class Api:
    """A thin client over `requests`, as an adapter would use it."""

    def __init__(self, sim: PfSenseSimulator, key: str | None = None) -> None:
        self.sim = sim
        self.session = requests.Session()
        if key is not None:
            self.session.headers["X-API-Key"] = key

    def __call__(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.session.request(method, f"{self.sim.url}{V2}{path}", timeout=5, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        response = self(method, path, **kw)
        assert response.status_code == 200, response.text
        return response.json()["data"]


KEY_AUTH = ("BasicAuth", "KeyAuth")


@pytest.fixture
def sim() -> Iterator[PfSenseSimulator]:
    with PfSenseSimulator(auth_methods=KEY_AUTH) as simulator:
        yield simulator


@pytest.fixture
def api(sim: PfSenseSimulator) -> Iterator[Api]:
    client = Api(sim, sim.api_key)
    yield client
    client.session.close()


def rule(descr: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": "pass",
        "interface": ["WAN"],  # by description: the package's default representation
        "ipprotocol": "inet",
        "protocol": "tcp",
        "source": "any",
        "destination": "10.20.0.5",
        "destination_port": "22",
        "descr": descr,
    }
    fields.update(changes)
    return fields


def customer_segment(api: Api, tag: int = 100, net: str = "10.20.0") -> str:
    """VLAN + assignment + DHCP range on it, as the adapter's workflow builds them."""
    api.ok("POST", "/interface/vlan", json={"if": "vtnet1", "tag": tag, "descr": f"cust-{tag}"})
    interface = api.ok(
        "POST",
        "/interface",
        json={
            "if": f"vtnet1.{tag}",
            "descr": f"CUST{tag}",
            "enable": True,
            "typev4": "static",
            "ipaddr": f"{net}.1",
            "subnet": 24,
        },
    )
    api.ok(
        "POST",
        "/services/dhcp_server",
        json={"interface": f"CUST{tag}", "enable": True, "range_from": f"{net}.200",
              "range_to": f"{net}.250"},
    )  # fmt: skip
    return str(interface["id"])


def descrs(rows: list[dict[str, Any]]) -> list[str]:
    return [r["descr"] for r in rows]


# --- envelope, auth, routing ---------------------------------------------------------------------


def test_success_and_errors_share_the_envelope(api: Api):
    ok = api("GET", "/firewall/rules")
    assert ok.status_code == 200
    body = ok.json()
    assert {k: body[k] for k in ("code", "status", "response_id", "message")} == {
        "code": 200,
        "status": "ok",
        "response_id": "SUCCESS",
        "message": "",
    }
    assert isinstance(body["data"], list) and body["data"][0]["id"] == 0
    single = api("GET", "/firewall/rule", params={"id": 0}).json()
    assert isinstance(single["data"], dict) and single["data"]["id"] == 0
    missing = api("GET", "/firewall/rule", params={"id": 99})
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404,
        "status": "not found",
        "response_id": "MODEL_OBJECT_NOT_FOUND",
        "message": "Object with ID `99` does not exist.",
        "data": [],
    }
    created = api("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    assert created.status_code == 200 and created.json()["data"]["id"] == 2  # 200, not 201


def test_a_missing_or_wrong_key_is_401_and_the_read_only_key_cannot_write(sim: PfSenseSimulator):
    for key in (None, "not-the-key"):
        anonymous = Api(sim, key)
        answer = anonymous("GET", "/firewall/rules")
        anonymous.session.close()
        assert answer.status_code == 401
        assert answer.json()["response_id"] == "AUTH_AUTHENTICATION_FAILED"
    reader = Api(sim, sim.read_only_api_key)
    assert reader("GET", "/firewall/rules").status_code == 200
    refused = reader("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    reader.session.close()
    assert refused.status_code == 403
    assert refused.json()["response_id"] == "AUTH_AUTHORIZATION_FAILED"
    assert len(sim.config_state()["rules"]) == 2


def test_unknown_endpoints_and_methods_are_refused_and_recorded(api: Api, sim: PfSenseSimulator):
    assert api("GET", "/firewall/rulez").status_code == 404
    assert api("PUT", "/firewall/rule", json={}).status_code == 405
    assert [(v["path"], v["code"]) for v in sim.violations] == [
        (f"{V2}/firewall/rulez", 404),
        (f"{V2}/firewall/rule", 405),
    ]
    with pytest.raises(AssertionError, match="rulez"):
        sim.assert_no_violations()


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "response_id"),
    [
        (rule("x", colour="red"), "SIMULATOR_UNKNOWN_FIELD"),
        ({k: v for k, v in rule("x").items() if k != "type"}, "FIELD_IS_REQUIRED"),
        (rule("x", interface="wan"), "FIELD_INVALID_MANY_VALUE"),
        (rule("x", disabled="no"), "FIELD_INVALID_TYPE"),
        (rule("x", type="allow"), "FIELD_INVALID_CHOICE"),
    ],
)
def test_schema_errors_are_400_recorded_and_change_nothing(api, sim, body, response_id):
    answer = api("POST", "/firewall/rule", json=body)
    assert answer.status_code == 400
    assert answer.json()["response_id"] == response_id
    assert [v["response_id"] for v in sim.violations] == [response_id]
    assert len(sim.config_state()["rules"]) == 2


def test_bad_values_are_400_without_being_a_schema_violation(api: Api, sim: PfSenseSimulator):
    answer = api("POST", "/interface/vlan", json={"if": "vtnet1", "tag": 5000})
    assert answer.status_code == 400
    assert answer.json()["response_id"] == "NUMERIC_RANGE_VALIDATOR_MAXIMUM_CONSTRAINT"
    missing_parent = api("POST", "/interface/vlan", json={"if": "igb9", "tag": 5})
    assert missing_parent.json()["response_id"] == "VLAN_INTERFACE_PARENT_NOT_FOUND"
    assert sim.violations == []


def test_a_vlan_tag_is_unique_per_parent_only(api: Api, sim: PfSenseSimulator):
    api.ok("POST", "/interface/vlan", json={"if": "vtnet1", "tag": 100})
    again = api("POST", "/interface/vlan", json={"if": "vtnet1", "tag": 100})
    assert again.status_code == 400
    assert again.json()["response_id"] == "MODEL_FIELDS_NOT_UNIQUE_TOGETHER"
    api.ok("POST", "/interface/vlan", json={"if": "vtnet0", "tag": 100})
    assert [v["vlanif"] for v in sim.config_state()["vlans"]] == ["vtnet1.100", "vtnet0.100"]


def test_overlaps_are_refused(api: Api):
    opt = customer_segment(api)
    in_range = api(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:01", "ipaddr": "10.20.0.210"},
    )
    assert in_range.status_code == 409
    assert in_range.json()["response_id"] == (
        "DHCP_SERVER_STATIC_MAPPING_IPADDR_OVERLAPS_EXISTING_OBJECT"
    )
    api.ok(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:01", "ipaddr": "10.20.0.5"},
    )
    widened = api("PATCH", "/services/dhcp_server", json={"id": opt, "range_from": "10.20.0.2"})
    assert widened.status_code == 409
    assert widened.json()["response_id"] == "DHCP_SERVER_PRIMARY_POOL_OVERLAPS_EXISTING_OBJECT"
    api.ok("POST", "/interface/vlan", json={"if": "vtnet1", "tag": 101})
    same_net = api(
        "POST",
        "/interface",
        json={"if": "vtnet1.101", "descr": "CUST101", "typev4": "static",
              "ipaddr": "10.20.0.129", "subnet": 25},
    )  # fmt: skip
    assert same_net.status_code == 400
    assert same_net.json()["response_id"] == "INTERFACE_IPADDR_ALREADY_IN_USE"
    outside = api(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:02", "ipaddr": "10.99.0.5"},
    )
    assert outside.json()["response_id"] == "DHCP_SERVER_STATIC_MAPPING_IPADDR_NOT_WITHIN_SUBNET"


def test_a_mac_is_unique_within_its_dhcp_server(api: Api):
    opt = customer_segment(api)
    mapping = {"parent_id": opt, "mac": "02:48:50:00:00:01", "ipaddr": "10.20.0.5"}
    api.ok("POST", "/services/dhcp_server/static_mapping", json=mapping)
    again = api("POST", "/services/dhcp_server/static_mapping", json={**mapping, "ipaddr": None})
    assert again.json()["response_id"] == "FIELD_MUST_BE_UNIQUE"


def test_dhcp_needs_a_static_ipv4_interface(api: Api):
    opt = customer_segment(api)
    refused = api("PATCH", "/interface", json={"id": opt, "typev4": "dhcp"})
    assert refused.json()["response_id"] == (
        "NETWORK_INTERFACE_CANNOT_CHANGE_TYPEV4_WHILE_DHCP_SERVER_ENABLED"
    )
    api.ok("PATCH", "/services/dhcp_server", json={"id": opt, "enable": False})
    api.ok("PATCH", "/interface", json={"id": opt, "typev4": "dhcp"})
    again = api("PATCH", "/services/dhcp_server", json={"id": opt, "enable": True})
    assert again.status_code == 400
    assert again.json()["response_id"] == "DHCP_SERVER_CANNOT_ENABLE_WITHOUT_STATIC_IPV4"


# --- identity ------------------------------------------------------------------------------------


def test_ids_are_positions_that_shift_when_an_earlier_object_goes(api: Api):
    for name in ("a", "b", "c"):
        api.ok("POST", "/firewall/rule", json=rule(name))
    rows = api.ok("GET", "/firewall/rules", params={"descr__in": "a,b,c"})
    assert [(r["id"], r["descr"]) for r in rows] == [(2, "a"), (3, "b"), (4, "c")]
    api.ok("DELETE", "/firewall/rule", params={"id": 2})
    assert api.ok("GET", "/firewall/rule", params={"id": 2})["descr"] == "b"
    assert api.ok("GET", "/firewall/rule", params={"id": 3})["descr"] == "c"
    assert api("DELETE", "/firewall/rule", params={"id": 4}).status_code == 404  # stale id


def test_placement_puts_a_rule_at_an_index(api: Api):
    api.ok("POST", "/firewall/rule", json=rule("egress"))
    api.ok("POST", "/firewall/rule", json={**rule("isolate"), "placement": 2})
    assert descrs(api.ok("GET", "/firewall/rules"))[2:] == ["isolate", "egress"]


def test_static_mappings_resort_by_address_so_a_create_moves_ids(api: Api):
    opt = customer_segment(api)
    first = api.ok(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:20", "ipaddr": "10.20.0.20"},
    )
    assert first["id"] == 0
    second = api.ok(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:09", "ipaddr": "10.20.0.9"},
    )
    assert second["id"] == 0  # natural order: .9 before .20
    moved = api.ok(
        "GET", "/services/dhcp_server/static_mapping", params={"parent_id": opt, "id": 1}
    )
    assert moved["mac"] == "02:48:50:00:00:20"


def test_a_freed_interface_id_is_handed_out_again(api: Api):
    ids = [customer_segment(api, tag, f"10.{tag}.0") for tag in (100, 101)]
    assert ids == ["opt1", "opt2"]
    api.ok("DELETE", "/interface", params={"id": "opt1"})
    assert customer_segment(api, 102, "10.102.0") == "opt1"


def test_descr_is_not_unique_so_duplicates_are_possible(api: Api):
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    found = api.ok("GET", "/firewall/rules", params={"descr": "vpsctl:1:in"})
    assert [r["id"] for r in found] == [2, 3]


# --- saved versus live ---------------------------------------------------------------------------


def test_changes_are_saved_at_once_but_live_only_after_apply(api: Api, sim: PfSenseSimulator):
    opt = customer_segment(api)
    api.ok(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": opt, "mac": "02:48:50:00:00:01", "ipaddr": "10.20.0.5"},
    )
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    live = sim.live_state()
    assert [v["tag"] for v in live["vlans"]] == [100]  # VLANs are always applied
    assert opt not in [i["id"] for i in live["interfaces"]]
    assert live["static_mappings"] == [] and "vpsctl:1:in" not in descrs(live["rules"])
    assert sim.has_unapplied_changes()
    assert api.ok("GET", "/interface/apply") == {
        "applied": False,
        "pending_interfaces": ["CUST100"],
    }
    assert api.ok("GET", "/services/dhcp_server/apply") == {"applied": False}
    # the package's FirewallRule marks no subsystem: the status says applied while it is not
    assert api.ok("GET", "/firewall/apply") == {"applied": True, "pending_subsystems": []}
    for area in ("/interface/apply", "/services/dhcp_server/apply", "/firewall/apply"):
        api.ok("POST", area, json={"async": False})
    live = sim.live_state()
    assert [m["mac"] for m in live["static_mappings"]] == ["02:48:50:00:00:01"]
    assert "vpsctl:1:in" in descrs(live["rules"])
    assert not sim.has_unapplied_changes()
    assert sim.applies == ["interfaces", "dhcp", "firewall"] and sim.apply_count == 3


def test_a_deleted_rule_stays_live_until_the_firewall_apply(api: Api, sim: PfSenseSimulator):
    api.ok("POST", "/firewall/rule", json={**rule("vpsctl:1:in"), "apply": True})
    assert "vpsctl:1:in" in descrs(sim.live_state()["rules"])
    api.ok("DELETE", "/firewall/rule", params={"id": 2})
    assert "vpsctl:1:in" in descrs(sim.live_state()["rules"])
    api.ok("POST", "/firewall/apply")
    assert "vpsctl:1:in" not in descrs(sim.live_state()["rules"])


def test_nat_changes_show_as_pending_natconf(api: Api):
    api.ok(
        "POST",
        "/firewall/nat/one_to_one/mapping",
        json={"interface": "WAN", "external": "198.51.100.10", "source": "10.20.0.5",
              "destination": "any", "descr": "vpsctl:1:1to1"},
    )  # fmt: skip
    assert api.ok("GET", "/firewall/apply") == {"applied": False, "pending_subsystems": ["natconf"]}
    assert api.ok("POST", "/firewall/apply")["applied"] is True


def test_deleting_an_interface_drops_its_dhcp_server_and_rules(api: Api, sim: PfSenseSimulator):
    opt = customer_segment(api)
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:cust:egress", interface=["CUST100"]))
    api.ok("POST", "/firewall/apply")
    api.ok("DELETE", "/interface", params={"id": opt})
    assert opt not in [s["id"] for s in api.ok("GET", "/services/dhcp_servers")]
    assert "vpsctl:cust:egress" not in descrs(sim.config_state()["rules"])
    assert "vpsctl:cust:egress" in descrs(sim.live_state()["rules"])  # until the filter reload


# --- queries -------------------------------------------------------------------------------------


def test_queries_filter_sort_and_paginate(api: Api):
    customer_segment(api)
    for n in range(5):
        api.ok("POST", "/firewall/rule", json=rule(f"vpsctl:{n}:in", interface=["CUST100"]))
    mine = api.ok("GET", "/firewall/rules", params={"descr__startswith": "vpsctl:"})
    assert len(mine) == 5 and mine[0]["interface"] == ["CUST100"]  # shown by descr
    by_interface = api.ok("GET", "/firewall/rules", params={"interface__contains": "CUST100"})
    assert len(by_interface) == 5
    page = api.ok(
        "GET",
        "/firewall/rules",
        params={"descr__startswith": "vpsctl:", "sort_by": "descr", "sort_order": "SORT_DESC",
                "limit": 2, "offset": 1},
    )  # fmt: skip
    assert descrs(page) == ["vpsctl:3:in", "vpsctl:2:in"]


def test_plural_delete_needs_a_query_and_deletes_from_the_last(api: Api, sim: PfSenseSimulator):
    for n in range(3):
        api.ok("POST", "/firewall/rule", json=rule(f"vpsctl:{n}:in"))
    refused = api("DELETE", "/firewall/rules")
    assert refused.json()["response_id"] == "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS"
    assert [v["response_id"] for v in sim.violations] == ["MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS"]
    gone = api.ok("DELETE", "/firewall/rules", params={"descr__startswith": "vpsctl:"})
    assert [r["id"] for r in gone] == [4, 3, 2]
    assert len(sim.config_state()["rules"]) == 2


def test_the_last_rule_is_never_deleted_and_plural_delete_is_not_atomic(api: Api, sim):
    refused = api("DELETE", "/firewall/rules", params={"all": "true"})
    assert refused.status_code == 403
    assert refused.json()["response_id"] == "MODEL_MANY_MINIMUM_REACHED"
    assert len(sim.config_state()["rules"]) == 1  # the first deletion stayed done


def test_interfaces_can_be_shown_by_id(api: Api):
    api.ok("PATCH", "/system/restapi/settings", json={"represent_interfaces_as": "id"})
    assert api.ok("GET", "/firewall/rule", params={"id": 0})["interface"] == ["lan"]
    api.ok("POST", "/firewall/rule", json=rule("by-id", interface=["lan"]))
    assert api.ok("GET", "/firewall/rule", params={"id": 2})["interface"] == ["lan"]
    by_descr = api("POST", "/firewall/rule", json=rule("by-descr", interface=["LAN"]))
    assert by_descr.json()["response_id"] == "FIELD_INVALID_CHOICE"  # looked up by id now


# --- the write lock and faults -------------------------------------------------------------------


def test_a_held_write_lock_answers_503_with_retry_after(api: Api, sim: PfSenseSimulator):
    sim.hold_write_lock()
    locked = api("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    assert locked.status_code == 503
    assert locked.headers["Retry-After"] == "1"
    assert locked.json()["response_id"] == "MODEL_WRITE_CONFIG_LOCKED"
    assert api("GET", "/firewall/rules").status_code == 200  # reads go on
    sim.release_write_lock()
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    sim.hold_write_lock(seconds=0)  # already expired
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:2:in"))


def test_a_background_apply_holds_the_lock_until_it_finishes():
    with PfSenseSimulator(apply_delay=600, auth_methods=KEY_AUTH) as sim:
        api = Api(sim, sim.api_key)
        api.ok("POST", "/firewall/nat/one_to_one/mapping", json={
            "interface": "WAN", "external": "198.51.100.10", "source": "10.20.0.5",
            "destination": "any"})  # fmt: skip
        api.ok("POST", "/firewall/apply")  # async by default: returns before the reload
        assert api.ok("GET", "/firewall/apply")["applied"] is False
        assert sim.live_state()["one_to_one"] == []
        assert api("POST", "/firewall/rule", json=rule("x")).status_code == 503
        api.session.close()


def test_fail_next_refuses_before_the_write(api: Api, sim: PfSenseSimulator):
    sim.fail_next("POST", "/firewall/rule", status=503, retry_after=7)
    failed = api("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "7"
    assert "vpsctl:1:in" not in descrs(sim.config_state()["rules"])
    api.ok("POST", "/firewall/rule", json=rule("vpsctl:1:in"))  # used up


def test_after_commit_the_write_happens_but_the_answer_is_lost(api: Api, sim: PfSenseSimulator):
    sim.fail_next("POST", "/firewall/rule", status=0, after_commit=True)
    with pytest.raises(requests.ConnectionError):
        api("POST", "/firewall/rule", json=rule("vpsctl:1:in"))
    sim.fail_next("POST", "/services/dhcp_server/static_mapping", status=504, after_commit=True)
    timed_out = api(
        "POST",
        "/services/dhcp_server/static_mapping",
        json={"parent_id": "lan", "mac": "02:48:50:00:00:01", "ipaddr": "192.168.1.5"},
    )
    assert timed_out.status_code == 504 and "nginx" in timed_out.text
    state = sim.config_state()
    assert descrs(state["rules"]).count("vpsctl:1:in") == 1
    assert [m["mac"] for m in state["static_mappings"]] == ["02:48:50:00:00:01"]
    assert ("POST", f"{V2}/firewall/rule") in sim.requests


# --- hand edits ----------------------------------------------------------------------------------


def test_hand_edits_show_through_the_api(api: Api, sim: PfSenseSimulator):
    added = sim.add_object("rule", rule("vpsctl:1:in"))
    twin = sim.duplicate_object("rule", added)
    assert (added, twin) == (2, 3)
    assert descrs(api.ok("GET", "/firewall/rules", params={"descr": "vpsctl:1:in"})) == [
        "vpsctl:1:in",
        "vpsctl:1:in",
    ]
    assert sim.delete_object("rule", lambda r: r["descr"] == "vpsctl:1:in") == 2
    assert sim.delete_object("rule", 0) == 1
    assert descrs(api.ok("GET", "/firewall/rules")) == ["Default allow LAN IPv6 to any rule"]
    mapping = sim.add_object(
        "static_mapping", {"parent_id": "lan", "mac": "02:48:50:00:00:01", "ipaddr": "192.168.1.9"}
    )
    assert (
        api.ok(
            "GET",
            "/services/dhcp_server/static_mapping",
            params={"parent_id": "lan", "id": mapping},
        )["mac"]
        == "02:48:50:00:00:01"
    )
    sim.apply_all()
    assert not sim.has_unapplied_changes()


# --- TLS -----------------------------------------------------------------------------------------


def _self_signed(tmp: Path) -> tuple[str, str]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_tls_when_given_a_certificate(tmp_path: Path):
    cert, key = _self_signed(tmp_path)
    with PfSenseSimulator(tls_cert=cert, tls_key=key, auth_methods=KEY_AUTH) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        with requests.Session() as session:
            answer = session.get(
                f"{sim.url}{V2}/firewall/rules",
                headers={"X-API-Key": sim.api_key},
                verify=cert,
                timeout=5,
            )
        assert answer.status_code == 200 and answer.json()["code"] == 200


def test_an_after_commit_fault_waits_for_a_write_that_succeeds(api: Api, sim: PfSenseSimulator):
    sim.fail_next("POST", "/firewall/rule", status=504, after_commit=True)
    refused = api("POST", "/firewall/rule", json=rule("x", type="allow"))
    assert refused.status_code == 400  # refused: nothing committed, the fault stays armed
    assert api("POST", "/firewall/rule", json=rule("x")).status_code == 504
    assert api("POST", "/firewall/rule", json=rule("y")).status_code == 200
    assert descrs(sim.config_state()["rules"])[2:] == ["x", "y"]


# --- the package from v2.7.0 on (explicit DHCP servers, representation, field checks, auth) ----


def assign(api: Api, tag: int = 100) -> str:
    """A VLAN and its interface `CUST<tag>` on 10.20.0.0/24, without a DHCP server call."""
    api.ok("POST", "/interface/vlan", json={"if": "vtnet1", "tag": tag, "descr": "c"})
    interface = {"if": f"vtnet1.{tag}", "descr": f"CUST{tag}", "enable": True,
                 "typev4": "static", "ipaddr": "10.20.0.1", "subnet": 24}  # fmt: skip
    return str(api.ok("POST", "/interface", json=interface)["id"])


SCOPE = {"enable": True, "range_from": "10.20.0.200", "range_to": "10.20.0.250"}


def test_a_new_interface_has_no_dhcp_server_until_one_is_posted(api: Api, sim: PfSenseSimulator):
    opt = assign(api)
    missing = api("PATCH", "/services/dhcp_server", json={"id": opt, "enable": True})
    assert missing.status_code == 404
    assert missing.json()["response_id"] == "MODEL_OBJECT_NOT_FOUND"
    by_id = api("POST", "/services/dhcp_server", json={"interface": opt, "enable": False})
    assert by_id.json()["response_id"] == "FIELD_INVALID_CHOICE"  # `descr` is the default
    created = api.ok("POST", "/services/dhcp_server", json={"interface": "CUST100", **SCOPE})
    assert (created["id"], created["interface"], created["enable"]) == (opt, "CUST100", True)
    assert opt in [s["id"] for s in sim.config_state()["dhcp_servers"]]
    api.ok("DELETE", "/services/dhcp_server", params={"id": opt})
    assert opt not in [s["id"] for s in sim.config_state()["dhcp_servers"]]
    sim.violations.clear()


def test_before_v27_servers_were_implicit_and_could_not_be_posted():
    from simulators.pfsense import Options

    old = Options(implicit_dhcp_servers=True)
    with PfSenseSimulator(auth_methods=KEY_AUTH, options=old) as sim:
        api = Api(sim, sim.api_key)
        opt = assign(api)
        api.ok("PATCH", "/services/dhcp_server", json={"id": opt, **SCOPE})
        assert api.ok("GET", "/services/dhcp_server", params={"id": opt})["enable"] is True
        again = api("POST", "/services/dhcp_server", json={"interface": "CUST100"})
        assert again.status_code == 405
        sim.violations.clear()
        api.session.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/firewall/rule", rule("x", interface=["wan"])),
        ("/firewall/nat/one_to_one/mapping",
         {"interface": "wan", "external": "198.51.100.10", "source": "10.20.0.5",
          "destination": "any"}),
        ("/firewall/virtual_ip",
         {"mode": "ipalias", "interface": "wan", "subnet": "198.51.100.10", "subnet_bits": 32}),
    ],
)  # fmt: skip
def test_an_interface_id_is_no_choice_under_the_default_representation(api, sim, path, body):
    refused = api("POST", path, json=body)
    assert (refused.status_code, refused.json()["response_id"]) == (400, "FIELD_INVALID_CHOICE")
    assert sim.violations  # recorded: a client that sends ids fails its tests
    sim.violations.clear()


def test_a_non_editable_field_cannot_change(api: Api, sim: PfSenseSimulator):
    assign(api)
    same = api("PATCH", "/interface/vlan", json={"id": 0, "if": "vtnet1", "descr": "d"})
    assert same.status_code == 200
    moved = api("PATCH", "/interface/vlan", json={"id": 0, "if": "vtnet0"})
    assert moved.json()["response_id"] == "FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE"
    assert sim.config_state()["vlans"][0]["if"] == "vtnet1"
    sim.violations.clear()


def test_an_empty_value_is_not_a_missing_one(api: Api, sim: PfSenseSimulator):
    empty = api("POST", "/firewall/rule", json=rule("x", source=""))
    assert empty.json()["response_id"] == "FIELD_EMPTY_NOT_ALLOWED"
    body = rule("x")
    del body["source"]
    missing = api("POST", "/firewall/rule", json=body)
    assert missing.json()["response_id"] == "FIELD_IS_REQUIRED"
    sim.violations.clear()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("10.20.0.5", True), ("10.20.0.0/24", True), ("!10.20.0.0/16", True), ("any", True),
     ("WAN", True), ("WAN:ip", True), ("wan", False), ("10.20.0.300", False), ("!any", False),
     ("nonsense", False)],
)  # fmt: skip
def test_rule_addresses_are_checked_as_the_package_does(api: Api, value: str, accepted: bool):
    answer = api("POST", "/firewall/rule", json=rule("x", destination=value))
    assert (answer.status_code == 200) is accepted, answer.text
    if accepted:
        shown = api.ok("GET", "/firewall/rules", params={"descr": "x"})[0]["destination"]
        assert shown == value  # an interface is stored by id and shown as described


def test_api_keys_work_only_once_key_auth_is_enabled():
    with PfSenseSimulator() as sim:  # the package's default: BasicAuth alone
        key = Api(sim, sim.api_key)
        assert key("GET", "/firewall/rules").json()["response_id"] == "AUTH_AUTHENTICATION_FAILED"
        admin = Api(sim)
        admin.session.auth = ("admin", "wrong")
        assert admin("GET", "/firewall/rules").status_code == 401
        admin.session.auth = sim.admin
        assert admin.ok("GET", "/system/restapi/settings")["auth_methods"] == ["BasicAuth"]
        admin.ok(
            "PATCH", "/system/restapi/settings", json={"auth_methods": ["BasicAuth", "KeyAuth"]}
        )
        assert key("GET", "/firewall/rules").status_code == 200
        key.session.close()
        admin.session.close()


def test_a_virtual_ip_is_live_after_its_own_apply(api: Api, sim: PfSenseSimulator):
    vip = {"mode": "ipalias", "interface": "WAN", "subnet": "198.51.100.10", "subnet_bits": 32,
           "descr": "public"}  # fmt: skip
    created = api.ok("POST", "/firewall/virtual_ip", json=vip)
    assert created["interface"] == "WAN" and created["uniqid"]
    assert api.ok("GET", "/firewall/virtual_ip/apply") == {"applied": False}
    assert sim.live_state()["virtual_ips"] == []
    twice = api("POST", "/firewall/virtual_ip", json=vip)
    assert twice.json()["response_id"] == "FIELD_MUST_BE_UNIQUE"
    wan_address = api("POST", "/firewall/virtual_ip", json={**vip, "subnet": "198.51.100.2"})
    assert wan_address.json()["response_id"] == "UNIQUE_FROM_FOREIGN_MANY_MODEL_VALIDATOR_FAILED"
    api.ok("POST", "/firewall/virtual_ip/apply")
    assert [v["subnet"] for v in sim.live_state()["virtual_ips"]] == ["198.51.100.10"]


@pytest.mark.parametrize(
    ("change", "response_id"),
    [({"gateway": "10.20.0.300"}, "IP_ADDRESS_VALIDATOR_FAILED"),
     ({"gateway": "10.99.0.1"}, "DHCP_SERVER_GATEWAY_NOT_WITHIN_SUBNET"),
     ({"dnsserver": ["resolver"]}, "IP_ADDRESS_VALIDATOR_FAILED"),
     ({"range_from": "10.20.0.0"}, "DHCP_SERVER_RANGE_FROM_CANNOT_BE_NETWORK_ADDRESS")],
)  # fmt: skip
def test_dhcp_server_addresses_are_checked(api: Api, change: dict[str, Any], response_id: str):
    opt = customer_segment(api)
    refused = api("PATCH", "/services/dhcp_server", json={"id": opt, **change})
    assert (refused.status_code, refused.json()["response_id"]) == (400, response_id)
    assert api.ok("PATCH", "/services/dhcp_server", json={"id": opt, "gateway": "none"})
