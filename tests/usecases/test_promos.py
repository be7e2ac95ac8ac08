"""Promo codes: an admin's CRUD, and a customer redeeming a balance bonus."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from domain.model.commands import PromoDraft
from domain.model.errors import (
    AlreadyExists,
    NotFound,
    PermissionDenied,
    PromoCodeRejected,
    RuleViolation,
    ValidationError,
)
from domain.model.ledger import AccountKind, LedgerAccount, TxKind
from domain.model.promo import DiscountDuration, PromoKind
from domain.model.values import PromoCodeText
from domain.usecases import promos
from domain.usecases.actors import Actor
from ports.paging import Page

from .support import World, micro, refused, rub


def create(world: World, **fields: object):  # type: ignore[no-untyped-def]
    return promos.create_promo(
        world.rt,
        world.admin,
        PromoDraft(**{"code": "SPRING", "kind": "percent", "percent": 20, **fields}),
    )


class TestCreate:
    def test_each_kind(self, world: World) -> None:
        percent = create(world, code="spring-25", duration="days", duration_days=30, max_uses=100)
        fixed = create(world, code="FIVE", kind="fixed", percent=0, amount="5.00")
        bonus = create(
            world, code="GIFT", kind="bonus", percent=0, amount="100.00", max_uses_per_customer=2
        )

        assert (percent.code, percent.kind, percent.percent) == ("SPRING-25", PromoKind.PERCENT, 20)
        assert (percent.duration, percent.duration_days, percent.max_uses) == (
            DiscountDuration.DAYS,
            30,
            100,
        )
        assert (fixed.kind, fixed.amount) == (PromoKind.FIXED, rub("5.00"))
        assert (bonus.kind, bonus.amount, bonus.max_uses_per_customer) == (
            PromoKind.BONUS,
            rub("100.00"),
            2,
        )
        listed, total = promos.list_promos(world.rt, world.admin, Page())
        assert total == 3 and [c.code for c in listed] == ["SPRING-25", "FIVE", "GIFT"]
        assert promos.get_promo(world.rt, world.admin, fixed.id) == fixed

    def test_a_code_in_use(self, world: World) -> None:
        create(world, code="SPRING")
        err = refused(world, AlreadyExists, create, world, code=" spring ")
        assert err.details["field"] == "code"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"code": "ab"}, "code"),
            ({"code": None}, "code"),
            ({"kind": "gift"}, "kind"),
            ({"kind": None}, "kind"),
            ({"percent": 0}, "percent"),
            ({"percent": 101}, "percent"),
            ({"percent": -5}, "percent"),
            ({"kind": "fixed", "percent": 0}, "amount"),
            ({"kind": "fixed", "percent": 0, "amount": "0.00"}, "amount"),
            ({"kind": "bonus", "percent": 0, "amount": "-1.00"}, "amount"),
            ({"kind": "bonus", "percent": 0, "amount": 10}, "amount"),
            ({"duration": "weekly"}, "duration"),
            ({"duration": "days"}, "durationDays"),
            ({"kind": "fixed", "percent": 0, "amount": "5.00", "duration": "forever"}, "duration"),
            ({"max_uses": 0}, "maxUses"),
            ({"max_uses_per_customer": 0}, "maxUsesPerCustomer"),
            ({"valid_from": dt.datetime(2026, 3, 1)}, "validFrom"),
            # A count, a flag or a moment of the wrong type: the edge (tests/http/test_commands.py)
        ],
    )
    def test_bad_terms(self, world: World, fields: dict[str, object], field: str) -> None:
        refused(world, ValidationError, lambda: create(world, **fields), field=field)

    def test_a_validity_that_ends_before_it_begins_is_a_rule_violation(self, world: World) -> None:
        refused(
            world,
            RuleViolation,
            create,
            world,
            field="validUntil",
            valid_from=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
            valid_until=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        )

    def test_only_an_admin(self, world: World, customer: Actor) -> None:
        refused(
            world,
            PermissionDenied,
            promos.create_promo,
            world.rt,
            customer,
            PromoDraft(code="MINE", kind="percent", percent=100),
        )


class TestUpdateAndDeactivate:
    def test_update_replaces_the_terms_and_keeps_code_and_uses(
        self, world: World, customer: Actor
    ) -> None:
        code = create(world, code="SPRING")
        world.order(customer, promo_code="SPRING")

        updated = promos.update_promo(
            world.rt,
            world.admin,
            code.id,
            PromoDraft(code="IGNORED", kind="percent", percent=30, max_uses=5),
        )

        assert (updated.code, updated.percent, updated.max_uses, updated.uses) == (
            "SPRING",
            30,
            5,
            1,
        )
        assert promos.get_promo(world.rt, world.admin, code.id) == updated

    def test_deactivated_codes_are_refused(self, world: World, customer: Actor) -> None:
        code = create(world, code="SPRING")
        promos.deactivate_promo(world.rt, world.admin, code.id)
        assert promos.get_promo(world.rt, world.admin, code.id).active is False
        err = refused(world, PromoCodeRejected, world.order, customer, promo_code="SPRING")
        assert err.reason == "inactive"

    @pytest.mark.parametrize("code_id", [9999, 0, -1])
    def test_an_unknown_code(self, world: World, code_id: int) -> None:
        create(world)
        draft = PromoDraft(code="XYZ", kind="percent", percent=5)
        refused(world, NotFound, promos.update_promo, world.rt, world.admin, code_id, draft)
        refused(world, NotFound, promos.deactivate_promo, world.rt, world.admin, code_id)
        refused(world, NotFound, promos.get_promo, world.rt, world.admin, code_id)

    def test_bad_new_terms_change_nothing(self, world: World) -> None:
        code = create(world)
        refused(
            world,
            ValidationError,
            promos.update_promo,
            world.rt,
            world.admin,
            code.id,
            PromoDraft(code="SPRING", kind="percent", percent=0),
            field="percent",
        )

    def test_only_an_admin(self, world: World, customer: Actor) -> None:
        code = create(world)
        draft = PromoDraft(code="SPRING", kind="percent", percent=100)
        refused(world, PermissionDenied, promos.update_promo, world.rt, customer, code.id, draft)
        refused(world, PermissionDenied, promos.deactivate_promo, world.rt, customer, code.id)
        refused(world, PermissionDenied, promos.get_promo, world.rt, customer, code.id)
        refused(world, PermissionDenied, promos.list_promos, world.rt, customer, Page())


class TestRedeemBonus:
    def test_credits_the_bonus(self, world: World, customer: Actor) -> None:
        code = create(world, code="GIFT", kind="bonus", percent=0, amount="150.00")

        tx = promos.redeem_bonus(world.rt, customer, PromoCodeText(" gift "))

        assert tx.kind is TxKind.BONUS
        assert world.wallet(customer) == micro("1150.00")
        with world.rt.uow() as uow:
            assert uow.ledger.balance(LedgerAccount.system(AccountKind.PROMO, "RUB")) == -micro(
                "150.00"
            )
            assert uow.promos.uses_by(code.id, customer.account_id) == 1
        assert promos.get_promo(world.rt, world.admin, code.id).uses == 1

    def test_twice_within_the_per_customer_limit(self, world: World, customer: Actor) -> None:
        create(world, code="GIFT", kind="bonus", percent=0, amount="10.00", max_uses_per_customer=2)
        promos.redeem_bonus(world.rt, customer, PromoCodeText("GIFT"))
        promos.redeem_bonus(world.rt, customer, PromoCodeText("GIFT"))
        assert world.wallet(customer) == micro("1020.00")
        err = refused(
            world,
            PromoCodeRejected,
            lambda: promos.redeem_bonus(world.rt, customer, PromoCodeText("GIFT")),
        )
        assert err.reason == "already_used"

    def test_a_bonus_restores_a_restricted_account(self, world: World) -> None:
        debtor = world.customer(balance="1.00")
        world.credit(debtor, "-2.00")
        create(world, code="GIFT", kind="bonus", percent=0, amount="100.00")
        promos.redeem_bonus(world.rt, debtor, PromoCodeText("GIFT"))
        assert world.templates(debtor)[-1] == "account_restored"

    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            ({"kind": "percent", "percent": 10, "amount": None}, "wrong_use"),
            ({"active": False}, "inactive"),
            ({"valid_until": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, "expired"),
            ({"valid_from": dt.datetime(2027, 1, 1, tzinfo=dt.UTC)}, "not_yet_valid"),
        ],
    )
    def test_a_code_that_does_not_apply(
        self, world: World, customer: Actor, fields: dict[str, object], reason: str
    ) -> None:
        create(
            world, **{"code": "GIFT", "kind": "bonus", "percent": 0, "amount": "10.00", **fields}
        )
        err = refused(
            world,
            PromoCodeRejected,
            lambda: promos.redeem_bonus(world.rt, customer, PromoCodeText("GIFT")),
        )
        assert err.reason == reason

    def test_a_used_up_code(self, world: World, customer: Actor, stranger: Actor) -> None:
        create(world, code="GIFT", kind="bonus", percent=0, amount="10.00", max_uses=1)
        promos.redeem_bonus(world.rt, stranger, PromoCodeText("GIFT"))
        err = refused(
            world,
            PromoCodeRejected,
            lambda: promos.redeem_bonus(world.rt, customer, PromoCodeText("GIFT")),
        )
        assert err.reason == "exhausted"

    def test_concurrent_redemptions_never_overuse_a_code(self, world: World) -> None:
        create(world, code="GIFT", kind="bonus", percent=0, amount="10.00", max_uses=3)
        customers = [world.customer(balance=None) for _ in range(8)]
        start = threading.Barrier(len(customers))
        outcomes: list[str] = []

        def redeem(actor: Actor) -> None:
            start.wait()
            try:
                promos.redeem_bonus(world.rt, actor, PromoCodeText("GIFT"))
                outcomes.append("ok")
            except PromoCodeRejected as ex:
                outcomes.append(ex.reason)

        threads = [threading.Thread(target=redeem, args=(c,)) for c in customers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        assert sorted(outcomes) == ["exhausted"] * 5 + ["ok"] * 3
        assert sum(world.wallet(c) for c in customers) == micro("30.00")

    @pytest.mark.parametrize(
        ("text", "error"), [("NOPE", NotFound), ("no pe", ValidationError), (None, ValidationError)]
    )
    def test_an_unknown_or_malformed_code(
        self, world: World, customer: Actor, text: object, error: type
    ) -> None:
        refused(world, error, lambda: promos.redeem_bonus(world.rt, customer, PromoCodeText(text)))

    def test_an_unknown_account(self, world: World) -> None:
        create(world, code="GIFT", kind="bonus", percent=0, amount="10.00")
        refused(
            world,
            NotFound,
            lambda: promos.redeem_bonus(
                world.rt, Actor(9999, world.admin.role), PromoCodeText("GIFT")
            ),
        )
