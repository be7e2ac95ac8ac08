"""Registration, login, logout, who am I, and personal access tokens."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, RFC3339_UTC, Api, User, assert_error

# --- register -------------------------------------------------------------------------------------


def test_register_creates_a_customer_account(api: Api) -> None:
    result = api.post("/api/auth/register", json={"email": "Ann@Example.COM", "password": PASSWORD})

    assert result.status_code == 201
    assert result.json == {"email": "Ann@example.com", "status": "registered"}
    assert "password" not in result.text and PASSWORD not in result.text
    user = api.login("Ann@example.com")
    assert api.get("/api/auth/me", user=user).json == {
        "id": user.id,
        "email": "Ann@example.com",
        "role": "customer",
        "standing": "active",
        "disabled": False,
        "currency": "RUB",
        "createdAt": "2026-01-15T10:00:00Z",
    }


def test_registering_a_taken_e_mail_answers_as_for_a_new_one_and_mails_the_owner(api: Api) -> None:
    api.register("ann@example.com")
    accounts_before = api.state()["accounts"]
    new = api.post("/api/auth/register", json={"email": "bob@example.com", "password": PASSWORD})

    taken = api.post(
        "/api/auth/register", json={"email": "ann@EXAMPLE.com", "password": "another password!"}
    )

    assert (
        (taken.status_code, set(taken.json))
        == (new.status_code, set(new.json))
        == (
            201,
            {"email", "status"},
        )
    )
    assert taken.json["status"] == new.json["status"]
    assert len(api.state()["accounts"]) == len(accounts_before) + 1  # only bob's
    notices = [n for n in api.store.tables["notices"].values() if n.to == "ann@example.com"]
    assert [n.template for n in notices] == ["welcome", "signup_existing"]
    api.login("ann@example.com")  # the owner's password is untouched
    assert (
        api.post(
            "/api/auth/login", json={"email": "ann@example.com", "password": "another password!"}
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ann@example.com", "password": "short"}, "password"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "ann@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "ann@example.com", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(
    api: Api, body: dict[str, str], field: str
) -> None:
    before = api.state()

    assert_error(api.post("/api/auth/register", json=body), 400, "invalid", field)
    assert api.state() == before


# --- login ----------------------------------------------------------------------------------------


def test_login_returns_a_bearer_token_and_the_account(api: Api) -> None:
    api.register("ann@example.com")

    result = api.post("/api/auth/login", json={"email": "ann@example.com", "password": PASSWORD})

    assert result.status_code == 200
    body = result.json
    assert set(body) == {
        "accessToken",
        "tokenType",
        "expiresIn",
        "csrfToken",
        "user",
        # the seed's names, kept as aliases
        "access_token",
        "token_type",
        "expires_in",
        "csrf_token",
    }
    assert body["tokenType"] == body["token_type"] == "Bearer"
    assert body["accessToken"] == body["access_token"] and body["accessToken"].startswith("hp_")
    assert body["expiresIn"] == body["expires_in"] == 12 * 3600
    assert body["csrfToken"] == body["csrf_token"]
    assert body["user"]["email"] == "ann@example.com"
    me = api.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json == body["user"]


@pytest.mark.parametrize("email", ["ann@example.com", "nobody@example.com"])
def test_login_with_a_wrong_password_or_unknown_e_mail_is_401_alike(api: Api, email: str) -> None:
    api.register("ann@example.com")
    tokens = api.state()["tokens"]

    result = api.post("/api/auth/login", json={"email": email, "password": "wrong password!"})

    body = assert_error(result, 401, "unauthenticated")
    assert body["error"] == "wrong e-mail or password"
    assert result.headers["WWW-Authenticate"].startswith("Bearer")
    assert "set-cookie" not in result.headers
    assert api.state()["tokens"] == tokens


def test_login_refuses_a_body_without_a_password(api: Api) -> None:
    assert_error(
        api.post("/api/auth/login", json={"email": "ann@example.com"}), 400, "invalid", "password"
    )


# --- me -------------------------------------------------------------------------------------------


def test_me_shows_the_caller(api: Api, customer: User) -> None:
    result = api.get("/api/auth/me", user=customer)

    assert result.status_code == 200
    body = result.json
    assert {"id", "email", "role"} <= set(body)
    assert (body["id"], body["email"], body["role"]) == (customer.id, customer.email, "customer")
    assert RFC3339_UTC.match(body["createdAt"])


def test_me_shows_an_admin_as_admin(api: Api, admin: User) -> None:
    assert api.get("/api/auth/me", user=admin).json["role"] == "admin"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer hp_not-a-token",
        "Bearer not-even-prefixed",
        "Bearer " + "hp_" + "x" * 300,
    ],
)
def test_me_without_a_valid_token_is_401(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    result = api.get("/api/auth/me", headers=headers)

    assert_error(result, 401, "unauthenticated")
    assert "WWW-Authenticate" in result.headers


def test_an_expired_session_is_401(api: Api, customer: User) -> None:
    api.clock.advance(12 * 3600 + 1)

    assert_error(api.get("/api/auth/me", user=customer), 401, "unauthenticated")


# --- logout ---------------------------------------------------------------------------------------


def test_logout_ends_the_session(api: Api, customer: User) -> None:
    other_session = api.login(customer.email)

    result = api.post("/api/auth/logout", user=customer)

    assert result.status_code == 204
    assert result.text == ""
    assert_error(api.get("/api/auth/me", user=customer), 401, "unauthenticated")
    assert api.get("/api/auth/me", user=other_session).status_code == 200


def test_logout_needs_a_session(api: Api) -> None:
    assert_error(api.post("/api/auth/logout"), 401, "unauthenticated")


# --- personal access tokens -----------------------------------------------------------------------


def test_a_personal_token_is_created_shown_once_and_works(api: Api, customer: User) -> None:
    result = api.post("/api/tokens", user=customer, json={"name": "ci deploy", "expiresInDays": 30})

    assert result.status_code == 201
    body = result.json
    assert set(body) == {"id", "name", "createdAt", "expiresAt", "lastUsedAt", "scopes", "token"}
    assert body["scopes"] == ["*"]  # full access unless asked for less
    assert body["name"] == "ci deploy"
    assert (
        body["createdAt"] == "2026-01-15T10:00:00Z" and body["expiresAt"] == "2026-02-14T10:00:00Z"
    )
    secret = body["token"]
    me = api.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["id"] == customer.id
    listed = api.get("/api/tokens", user=customer)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json["data"]] == [body["id"]]
    assert "token" not in listed.json["data"][0] and secret not in listed.text


def test_the_token_list_shows_only_personal_tokens_of_the_caller(
    api: Api, customer: User, stranger: User
) -> None:
    api.post("/api/tokens", user=stranger, json={"name": "theirs"})

    result = api.get("/api/tokens", user=customer)

    assert result.status_code == 200 and result.json["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "expiresInDays": 0}, "expiresInDays"),
        ({"name": "x", "expiresInDays": 3651}, "expiresInDays"),
        ({"name": "x", "expiresInDays": "30"}, "expiresInDays"),
        ({"name": "x", "scope": "admin"}, "scope"),
    ],
)
def test_token_creation_refuses_bad_input(
    api: Api, customer: User, body: dict[str, object], field: str
) -> None:
    before = api.state()

    assert_error(api.post("/api/tokens", user=customer, json=body), 400, "invalid", field)
    assert api.state() == before


def test_tokens_need_a_login(api: Api) -> None:
    assert_error(api.get("/api/tokens"), 401, "unauthenticated")
    assert_error(api.post("/api/tokens", json={"name": "x"}), 401, "unauthenticated")
    assert_error(api.delete("/api/tokens/1"), 401, "unauthenticated")


def test_revoking_a_token_ends_it(api: Api, customer: User) -> None:
    created = api.post("/api/tokens", user=customer, json={"name": "ci"}).json

    result = api.delete(f"/api/tokens/{created['id']}", user=customer)

    assert result.status_code == 204
    assert_error(
        api.get("/api/auth/me", headers={"Authorization": f"Bearer {created['token']}"}),
        401,
        "unauthenticated",
    )
    assert api.get("/api/tokens", user=customer).json["data"] == []
    assert_error(api.delete(f"/api/tokens/{created['id']}", user=customer), 404, "not_found")


def test_a_session_is_not_revoked_as_a_personal_token(api: Api, customer: User) -> None:
    session_ids = api.state()["tokens"]

    for token_id in session_ids:
        assert_error(api.delete(f"/api/tokens/{token_id}", user=customer), 404, "not_found")
    assert api.state()["tokens"] == session_ids
    assert api.get("/api/auth/me", user=customer).status_code == 200


def test_revoking_an_unknown_token_is_404(api: Api, customer: User) -> None:
    assert_error(api.delete("/api/tokens/999999", user=customer), 404, "not_found")
