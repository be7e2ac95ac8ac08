from __future__ import annotations

import pytest

from domain.model.catalogue import GuestKind, OsImage, Rates, ResourceRange, ServerConfig
from domain.model.errors import NotFound, ValidationError
from domain.model.money import Money
from domain.model.values import MemoryMiB

from .factories import LIMITS, RATES, RUB, SMALL, SPB, UBUNTU, WINDOWS, catalogue, rub


def micro_rates(core: int, memory: int, disk: int) -> Rates:
    return Rates(Money(core, RUB), Money(memory, RUB), Money(disk, RUB))


class TestHourlyRate:
    def test_two_cores_at_one_fifty(self) -> None:
        # 1.50/core/h, nothing else: 2 cores -> 3.00
        rates = Rates(rub("1.50"), Money.zero(RUB), Money.zero(RUB))
        assert rates.hourly(ServerConfig(2, 0, 0), UBUNTU) == rub("3.00")

    def test_sum_of_resources(self) -> None:
        # 2 x 1.50 + 2 GiB x 0.40 + 20 GiB x 0.01 = 3.00 + 0.80 + 0.20 = 4.00
        assert RATES.hourly(ServerConfig(2, 2048, 20), UBUNTU) == rub("4.00")

    def test_licence_is_added(self) -> None:
        # 4.00 of resources + 0.50 Windows licence
        assert RATES.hourly(ServerConfig(2, 2048, 20), WINDOWS) == rub("4.50")

    def test_memory_in_mib_rounds_half_up_once(self) -> None:
        # 1 core at 1.50 + 1000 MiB at 0.30/GiB: 1_500_000 + 300_000 x 1000 / 1024
        # = 1_500_000 + 292_968.75 = 1_792_968.75 -> HALF_UP -> 1_792_969 micro
        rates = Rates(rub("1.50"), rub("0.30"), Money.zero(RUB))
        assert rates.hourly(ServerConfig(1, 1000, 0), UBUNTU) == Money(1_792_969, RUB)

    @pytest.mark.parametrize(
        ("per_gib_memory", "memory_mib", "expected"),
        [
            (512, 1, 1),  # 512/1024 = 0.5 exactly -> up
            (511, 1, 0),  # 0.499 -> down
            (1536, 1, 2),  # 1.5 -> 2
            (512, 3, 2),  # 1.5 -> 2: one rounding for the sum, not 1 per MiB (which would give 3)
        ],
    )
    def test_half_up_at_the_micro_unit(
        self, per_gib_memory: int, memory_mib: int, expected: int
    ) -> None:
        rates = micro_rates(0, per_gib_memory, 0)
        assert rates.hourly(ServerConfig(0, memory_mib, 0), UBUNTU) == Money(expected, RUB)

    def test_rates_of_a_location_share_one_currency(self) -> None:
        # Regression: hourly() sums raw micro-units, so a USD memory rate was added as roubles.
        with pytest.raises(ValueError, match="one currency"):
            Rates(rub("1.50"), Money(400_000, "USD"), rub("0.01"))

    def test_licence_in_another_currency_is_refused(self) -> None:
        image = OsImage(9, "Odd", "odd", "1", "linux", GuestKind.LXC, Money(1, "USD"))
        with pytest.raises(ValueError, match="currency mismatch"):
            RATES.hourly(ServerConfig(1, 1024, 10), image)


class TestImages:
    def test_windows_needs_qemu(self) -> None:
        with pytest.raises(ValueError, match="QEMU"):
            OsImage(3, "Windows", "windows", "2022", "windows", GuestKind.LXC, Money.zero(RUB))
        assert WINDOWS.guest_kind is GuestKind.QEMU


class TestResourceRange:
    memory = ResourceRange(512, 65536, 512)

    @pytest.mark.parametrize("value", [512, 1024, 65536])
    def test_accepts_steps_from_the_minimum(self, value: int) -> None:
        assert self.memory.check("memory", value) == value

    @pytest.mark.parametrize(
        ("value", "problem"),
        [
            (1000, "multiple of 512"),
            (0, "between 512 and 65536"),
            (66048, "between 512 and 65536"),
        ],
    )
    def test_names_the_field_and_the_problem(self, value: int, problem: str) -> None:
        with pytest.raises(ValidationError) as err:
            self.memory.check("memory", value)
        assert err.value.field == "memory"
        assert problem in err.value.message

    @pytest.mark.parametrize("value", [True, "1024", 1024.0, None])
    def test_only_a_whole_number_is_a_size(self, value: object) -> None:
        # The value object checks the type once; the range checks only the catalogue's bounds.
        with pytest.raises(ValidationError) as err:
            MemoryMiB(value)  # type: ignore[arg-type]
        assert err.value.field == "memory"
        assert "integer" in err.value.message

    def test_step_counts_from_the_minimum(self) -> None:
        odd = ResourceRange(1, 9, 2)
        assert odd.check("cores", 3) == 3
        with pytest.raises(ValidationError):
            odd.check("cores", 4)


class TestServerConfig:
    @pytest.mark.parametrize(
        ("config", "field"),
        [
            (ServerConfig(0, 1024, 10), "cores"),
            (ServerConfig(2, 1000, 10), "memory"),
            (ServerConfig(2, 1024, 15), "disk"),
        ],
    )
    def test_validated_names_the_wire_field(self, config: ServerConfig, field: str) -> None:
        with pytest.raises(ValidationError) as err:
            config.validated(LIMITS)
        assert err.value.field == field

    def test_valid_config_is_returned(self) -> None:
        config = ServerConfig(2, 2048, 20)
        assert config.validated(LIMITS) is config


class TestTariffAndLookups:
    def test_offered_everywhere_when_no_location_is_named(self) -> None:
        assert SMALL.offered_at(1) and SMALL.offered_at(99)
        big = catalogue().tariff(2)
        assert big.offered_at(SPB.id) and not big.offered_at(1)

    def test_lookups(self) -> None:
        cat = catalogue()
        assert cat.location(2) is SPB
        assert cat.image(1) is UBUNTU
        assert cat.tariff(1) is SMALL
        assert cat.rates_at(1) is RATES

    @pytest.mark.parametrize("lookup", ["image", "location", "tariff", "rates_at"])
    def test_unknown_ids_are_not_found(self, lookup: str) -> None:
        with pytest.raises(NotFound) as err:
            getattr(catalogue(), lookup)(99)
        assert err.value.details["id"] == "99"
