"""AccountRepository and TokenRepository."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.model.accounts import TokenKind
from domain.model.credentials import email_key
from domain.model.errors import AlreadyExists, NotFound
from ports.paging import Page

from . import builders as b


def test_add_then_get_and_by_email(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "Ann.Lee@Example.com"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.get(1).email == "Ann.Lee@Example.com"
        assert uow.accounts.by_email("ann.lee@example.com").id == 1
        assert uow.accounts.by_email("ANN.LEE@EXAMPLE.COM").id == 1
        assert uow.accounts.by_email("nobody@example.com") is None
        assert uow.accounts.get(99) is None
        assert uow.accounts.get_for_update(1) == uow.accounts.get(1)
        assert uow.accounts.get_for_update(99) is None


def test_a_taken_email_is_refused_whatever_its_case(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "ann@example.com"))
        with pytest.raises(AlreadyExists):
            uow.accounts.add(b.account(2, "ANN@Example.COM"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.all_ids() == [1]


def test_both_stores_compare_addresses_as_the_domain_does(uow_factory):
    """The bug: the memory store case-folded (`straße` = `strasse`) while PostgreSQL lowers
    (they differ), so the sandbox and production disagreed on who has an account. Both follow
    the domain's `email_key` now."""
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "straße@example.com"))
        uow.accounts.add(b.account(2, "strasse@example.com"))  # another account everywhere
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.by_email("STRASSE@example.com").id == 2
        assert uow.accounts.by_email("Straße@Example.com").id == 1
        assert email_key("Straße@Example.com") != email_key("strasse@example.com")


def test_upper_case_beyond_ascii_is_one_account_on_both_stores(uow_factory):
    """PostgreSQL's lower() follows the database's locale (under C it lowers ASCII alone), so
    `Änn@` and `änn@` were two accounts there and one in Python. The stored key is the domain's."""
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "Änn@example.com"))
        with pytest.raises(AlreadyExists):
            uow.accounts.add(b.account(2, "änn@example.com"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.by_email("ÄNN@EXAMPLE.COM").id == 1
        assert uow.accounts.all_ids() == [1]


def test_changing_the_returned_account_changes_nothing_until_update(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1))
        uow.commit()
    with uow_factory() as uow:
        acc = uow.accounts.get(1)
        acc.disabled = True
        assert uow.accounts.get(1).disabled is False
        uow.accounts.update(acc)
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.get(1).disabled is True


def test_changing_an_added_account_object_does_not_change_the_store(uow_factory):
    acc = b.account(1)
    with uow_factory() as uow:
        uow.accounts.add(acc)
        acc.disabled = True
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.get(1).disabled is False


def test_update_of_an_unknown_account_is_not_found(uow_factory):
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.accounts.update(b.account(5))


def test_update_to_another_accounts_email_is_refused(uow_factory):
    with uow_factory() as uow:
        uow.accounts.add(b.account(1, "a@example.com"))
        uow.accounts.add(b.account(2, "b@example.com"))
        second = uow.accounts.get(2)
        second.email = "A@example.com"
        with pytest.raises(AlreadyExists):
            uow.accounts.update(second)


def test_list_pages_by_id_with_total(uow_factory):
    with uow_factory() as uow:
        for i in range(1, 8):
            uow.accounts.add(b.account(i))
        uow.commit()
    with uow_factory() as uow:
        first, total = uow.accounts.list(Page(1, 3))
        last, _ = uow.accounts.list(Page(3, 3))
        beyond, total_beyond = uow.accounts.list(Page(4, 3))
    assert total == 7 == total_beyond
    assert [a.id for a in first] == [1, 2, 3]
    assert [a.id for a in last] == [7]
    assert beyond == []


def test_tokens_by_digest_by_account_and_kind(uow_factory):
    with uow_factory() as uow:
        uow.tokens.add(b.token(1, 10, "d1", kind=TokenKind.SESSION))
        uow.tokens.add(b.token(2, 10, "d2"))
        uow.tokens.add(b.token(3, 11, "d3"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.by_digest("d2").id == 2
        assert uow.tokens.by_digest("nope") is None
        assert [t.id for t in uow.tokens.for_account(10)] == [1, 2]
        assert [t.id for t in uow.tokens.for_account(10, TokenKind.PERSONAL)] == [2]
        assert uow.tokens.get(3).account_id == 11


def test_token_touch_and_remove(uow_factory):
    later = b.T0.replace(hour=12)
    with uow_factory() as uow:
        uow.tokens.add(b.token(1, 10))
        uow.commit()
    with uow_factory() as uow:
        uow.tokens.touch(1, later)
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.get(1).last_used_at == later
        uow.tokens.remove(1)
        uow.tokens.remove(1)  # removing twice is fine
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.get(1) is None
        assert uow.tokens.for_account(10) == []


def test_expired_tokens_are_removed_and_the_rest_kept(uow_factory):
    hour = dt.timedelta(hours=1)
    with uow_factory() as uow:
        uow.tokens.add(b.token(1, 10, kind=TokenKind.SESSION, expires_at=b.T0 + hour))
        uow.tokens.add(b.token(2, 10, kind=TokenKind.RESET, expires_at=b.T0 + 2 * hour))
        uow.tokens.add(b.token(3, 10))  # a personal token without an expiry
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.remove_expired(b.T0 + hour) == 1
        uow.commit()
    with uow_factory() as uow:
        assert [t.id for t in uow.tokens.for_account(10)] == [2, 3]
        assert uow.tokens.get(2).kind is TokenKind.RESET
