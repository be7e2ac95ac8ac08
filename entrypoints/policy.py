"""The business policy the provider configures, and the site file it reads part of it from."""

from __future__ import annotations

import datetime as dt

from adapters.security.common_passwords import common_passwords
from adapters.security.keys import DeploymentKeys
from domain.model.network import CustomerNetworks
from domain.usecases.runtime import Policy
from entrypoints import sandbox
from entrypoints.config import Settings
from entrypoints.site import Site, load_site


def site_of(settings: Settings) -> Site | None:
    return load_site(settings.site_file) if settings.site_file is not None else None


def policy_of(settings: Settings, site: Site | None) -> Policy:
    keys = DeploymentKeys.derive(settings.secret_key)
    return Policy(
        quote_key=keys.quotes,
        csrf_key=keys.csrf,
        currency=settings.currency,
        billing_period_seconds=settings.billing_period_seconds,
        session_ttl=dt.timedelta(hours=settings.session_ttl_hours),
        customer_networks=_customer_networks(site),
        warm_pool=dict(settings.warm_pool),
        registrations_per_hour=settings.registrations_per_hour,
        public_url=settings.public_url,
        common_passwords=common_passwords(),
        metrics_raw_days=settings.metrics_raw_days,
        webhooks_allow_private=settings.private_webhooks,
        console_link_ttl=dt.timedelta(seconds=settings.console_link_seconds),
        payment_min_micro=settings.payments.min_micro,
        payment_max_micro=settings.payments.max_micro,
        payment_reconcile_after=dt.timedelta(minutes=settings.payments.reconcile_minutes),
    )


def _customer_networks(site: Site | None) -> dict[int, CustomerNetworks]:
    return site.customer_networks() if site is not None else sandbox.sandbox_networks()
