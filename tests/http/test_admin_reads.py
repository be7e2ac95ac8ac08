"""Administration, continued: the catalogue document (GET/PUT), the audit log, and any customer's
transactions and servers."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from api_support import RFC3339_UTC, Api, User, assert_error, assert_server_view

EXAMPLE = Path(__file__).parents[2] / "deploy" / "catalogue.example.toml"


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


# --- the catalogue document -----------------------------------------------------------------------


def test_the_current_catalogue_is_the_document_an_operator_writes(api: Api, admin: User) -> None:
    result = api.get("/api/admin/catalogue", user=admin)

    assert result.status_code == 200
    assert result.json == {"version": 1, **example()}


def test_a_put_publishes_the_next_version_and_quotes_name_it(api: Api, admin: User) -> None:
    document = {**example(), "version": 1}
    document["locations"][0]["rates"]["per_core"] = "0.70"

    result = api.put("/api/admin/catalogue", user=admin, json=document)

    assert result.status_code == 200, result.text
    assert result.json == {**document, "version": 2}
    quote = api.post("/api/quote", json={"osId": 1, "tariffId": 1})
    assert quote.json["catalogueVersion"] == 2
    assert "catalogue.publish" in [entry.action for entry in api.audit()]


def test_the_public_catalogue_answers_follow_a_publish(api: Api, admin: User) -> None:
    """They are written once per catalogue and kept: a new version must replace them at once."""
    before = {path: api.get(path).json for path in ("/api/os", "/api/tariffs", "/api/parameters")}
    document = {**example(), "version": 1}
    document["images"][0]["name"] = "Ubuntu 24.04 LTS"
    document["tariffs"][0]["name"] = "Старт+"
    document["locations"][0]["rates"]["per_core"] = "0.70"

    assert api.put("/api/admin/catalogue", user=admin, json=document).status_code == 200

    assert api.get("/api/os").json[0]["name"] == "Ubuntu 24.04 LTS"
    assert api.get("/api/tariffs").json[0]["name"] == "Старт+"
    after = api.get("/api/parameters").json
    assert after != before["/api/parameters"]
    assert api.get("/api/os").json[1:] == before["/api/os"][1:]


def test_a_bad_document_lists_every_problem_and_changes_nothing(api: Api, admin: User) -> None:
    document = example()
    document["images"][0]["template"] = "local:vztmpl/missing.tar.zst"
    document["tariffs"][0]["monthly"] = 300
    before = api.state()

    result = api.put("/api/admin/catalogue", user=admin, json=document)

    body = assert_error(result, 422, "rule_violation", "catalogue")
    assert body["details"]["problems"] == [
        '[[tariffs]] #1 (Старт) monthly: must be a decimal string such as "100.00"'
        " (money is never a float)",
        *(
            "[[images]] id 1 (Ubuntu 24.04): template local:vztmpl/missing.tar.zst is missing on "
            + nodes
            for nodes in (
                "pve-msk-1, pve-msk-2 (ru-msk-1)",
                "pve-spb-1, pve-spb-2 (ru-spb-1)",
                "pve-ams-1, pve-ams-2 (nl-ams-1)",
            )
        ),
    ]
    assert api.state() == before


def test_an_edit_of_a_superseded_version_is_409(api: Api, admin: User) -> None:
    assert api.put("/api/admin/catalogue", user=admin, json=example()).status_code == 200

    stale = api.put("/api/admin/catalogue", user=admin, json={**example(), "version": 1})

    body = assert_error(stale, 409, "conflict")
    assert body["details"] == {"current": 2}


def test_a_password_reset_without_a_guest_agent_is_409_before_any_password(
    api: Api, admin: User, customer: User
) -> None:
    document = example()
    document["images"][3]["guest_agent"] = False  # Ubuntu 22.04 (VM)
    assert api.put("/api/admin/catalogue", user=admin, json=document).status_code == 200
    server = api.running_server(customer, osId=4, tariffId=1)
    before = api.state()

    result = api.post(f"/api/server/{server['id']}/password", user=customer)

    body = assert_error(result, 409, "conflict")
    assert body["details"] == {"reason": "no_guest_agent"}
    assert "guest agent" in body["error"] and "password" not in body["details"]
    assert api.state() == before
    windows = api.running_server(customer, osId=5, tariffId=1)
    reset = api.post(f"/api/server/{windows['id']}/password", user=customer)
    assert reset.status_code == 202 and reset.json["user"] == "Administrator"


# --- the audit log --------------------------------------------------------------------------------


def test_the_audit_log_newest_first_filtered_and_paged(
    api: Api, admin: User, customer: User, stranger: User
) -> None:
    api.post(f"/api/admin/customers/{customer.id}/suspend", user=admin)

    everything = api.get("/api/admin/audit?per_page=2", user=admin)
    mine = api.get(f"/api/admin/audit?actor={customer.id}", user=admin)
    about = api.get(f"/api/admin/audit?target=account:{customer.id}", user=admin)
    accounts = api.get("/api/admin/audit?target=account:*&per_page=100", user=admin)

    assert everything.status_code == 200
    # The request's own record comes after the use case's, in the same moment.
    http, disable = everything.json["data"]
    assert (http["action"], http["target"]) == (
        "http.post",
        f"/api/admin/customers/{customer.id}/suspend",
    )
    assert disable == {
        "at": http["at"],
        "actorId": admin.id,
        "action": "account.disable",
        "target": f"account:{customer.id}",
        "result": "ok",
        "details": {},
    }
    assert RFC3339_UTC.match(disable["at"])
    assert everything.json["meta"]["pagination"]["total"] == len(api.audit())
    assert [e["action"] for e in mine.json["data"]] == ["account.login", "account.register"]
    assert [e["action"] for e in about.json["data"]] == [
        "account.disable",
        "balance.adjust",
        "account.login",
        "account.register",
    ]
    assert {e["target"].split(":")[0] for e in accounts.json["data"]} == {"account"}
    assert accounts.json["meta"]["pagination"]["total"] == sum(
        entry.target.startswith("account:") for entry in api.audit()
    )


def test_the_audit_log_by_time(api: Api, admin: User, customer: User) -> None:
    first = api.get("/api/admin/audit?per_page=100", user=admin).json["data"]
    moment = first[0]["at"]

    later = api.get(f"/api/admin/audit?since={moment}&per_page=100", user=admin).json["data"]
    earlier = api.get(f"/api/admin/audit?until={moment}&per_page=100", user=admin).json["data"]

    assert later == [e for e in first if e["at"] >= moment]
    assert earlier == [e for e in first if e["at"] < moment]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("actor=-1", "actor"),
        ("actor=abc", "actor"),
        ("actor=1.5", "actor"),
        ("since=yesterday", "since"),
        ("until=2026-01-01T00:00:00", "until"),
        ("until=9999-12-31T23:59:59-23:59", "until"),
        ("target=" + "x" * 201, "target"),
        ("per_page=0", "per_page"),
    ],
)
def test_a_bad_audit_filter_is_400(api: Api, admin: User, query: str, field: str) -> None:
    assert_error(api.get(f"/api/admin/audit?{query}", user=admin), 400, "invalid", field)


def test_a_time_window_that_ends_before_it_starts_is_422(api: Api, admin: User) -> None:
    query = "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"
    result = api.get(f"/api/admin/audit?{query}", user=admin)
    assert_error(result, 422, "rule_violation", "until")


# --- a customer's transactions and servers --------------------------------------------------------


def test_a_customers_transactions(api: Api, admin: User, customer: User, stranger: User) -> None:
    api.running_server(customer)

    result = api.get(f"/api/admin/customers/{customer.id}/transactions", user=admin)

    assert result.status_code == 200
    assert result.json == api.get("/api/transactions", user=customer).json
    assert [t["type"] for t in result.json["data"]][-1] == "adjustment"
    assert_error(api.get("/api/admin/customers/999/transactions", user=admin), 404, "not_found")


def test_a_customers_servers_deleted_ones_too(
    api: Api, admin: User, customer: User, stranger: User
) -> None:
    kept = api.running_server(customer)
    gone = api.running_server(customer)
    api.running_server(stranger)
    assert api.delete(f"/api/server/{gone['id']}", user=customer).status_code == 202

    result = api.get(f"/api/admin/customers/{customer.id}/servers?per_page=1&page=2", user=admin)
    both = api.get(f"/api/admin/customers/{customer.id}/servers", user=admin)

    assert result.status_code == 200
    assert result.json["meta"]["pagination"] == {
        "page": 2,
        "perPage": 1,
        "per_page": 1,
        "total": 2,
        "pages": 2,
    }
    [second] = result.json["data"]
    assert_server_view(second)
    assert [(s["id"], s["status"]) for s in both.json["data"]] == [
        (kept["id"], "running"),
        (gone["id"], "deleted"),
    ]
    nobody = api.get(f"/api/admin/customers/{admin.id}/servers", user=admin)
    assert nobody.json["data"] == [] and nobody.json["meta"]["pagination"]["total"] == 0
    assert_error(api.get("/api/admin/customers/999/servers", user=admin), 404, "not_found")
