"""`GET /metrics` (Prometheus text) and `GET /api/docs` (Swagger UI from our own origin)."""

from __future__ import annotations

import re

import attrs
import pytest
from api_support import Api, User
from falcon import testing

from domain.model.action import ActionCommand
from domain.model.errors import Unavailable
from domain.usecases.ordering import PROVISION_TASK
from entrypoints.http.app import create_app
from entrypoints.http.docs import ASSETS
from tests.prometheus_text import Samples, parse, value


def _samples(api: Api) -> Samples:
    result = api.client.simulate_get("/metrics")
    assert result.status_code == 200
    return parse(result.headers["content-type"], result.text)


def test_metrics_count_requests_by_route_template_and_status(api: Api, customer: User) -> None:
    before = _samples(api)
    api.get("/api/server/999999", user=customer)
    api.get("/api/server/999998", user=customer)
    api.get("/api/balance", user=customer)
    api.get("/no/such/route")

    after = _samples(api)
    name = "hostprovider_http_requests_total"
    route = {"route": "/api/server/{server_id:int}", "method": "GET", "status": "404"}
    assert value(after, name, **route) - value(before, name, **route) == 2
    balance = {"route": "/api/balance", "method": "GET", "status": "200"}
    assert value(after, name, **balance) - value(before, name, **balance) == 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, name, **unmatched) - value(before, name, **unmatched) == 1
    # latency by the same labels, and no raw ids as labels
    seconds = "hostprovider_http_request_duration_seconds_count"
    assert value(after, seconds, **route) - value(before, seconds, **route) == 2
    assert not any("999999" in str(labels) for _, labels in after)


# falcon.testing's WSGI validator warns of a method it does not know: that is the point here.
@pytest.mark.filterwarnings("ignore::wsgiref.validate.WSGIWarning")
def test_a_made_up_method_adds_no_series_of_its_own(api: Api) -> None:
    """The bug: the method a client sent was a label as sent, so made-up methods grew /metrics
    without end. Only HTTP's methods are labels; any other counts as `other`."""
    before = _samples(api)
    for made_up in ("BOGUS", "XYZZY", "FROBNICATE"):
        api.client.simulate_request(made_up, "/api/balance")

    after = _samples(api)
    name = "hostprovider_http_requests_total"
    assert not any(
        dict(labels).get("method") in ("BOGUS", "XYZZY", "FROBNICATE") for _, labels in after
    )

    def others(samples: Samples) -> float:
        return sum(
            v for (n, labels), v in samples.items() if n == name and ("method", "other") in labels
        )

    assert others(after) - others(before) == 3


def test_metrics_need_no_customer_and_show_the_state_of_the_books(api: Api, customer: User) -> None:
    samples = _samples(api)  # no Authorization header at all

    assert value(samples, "hostprovider_state_up") == 1
    # The admin's credit of 1000.00 to the customer came from the adjustments account.
    adjustments = {"account": "adjustments", "currency": "RUB"}
    assert value(samples, "hostprovider_ledger_balance_micro", **adjustments) == -1_000_000_000


def test_running_actions_and_servers_in_flight_are_gauges(api: Api, customer: User) -> None:
    api.jobs.auto_run = False
    api.order(customer)  # its job waits: the provisioning action is running

    pending = _samples(api)
    assert value(pending, "hostprovider_actions_running", command=ActionCommand.CREATE.value) == 1
    assert value(pending, "hostprovider_servers_in_progress", status="pending") == 1

    api.jobs.run_pending()
    done = _samples(api)
    assert value(done, "hostprovider_actions_running", command=ActionCommand.CREATE.value) == 0
    assert value(done, "hostprovider_servers_in_progress", status="pending") == 0


def test_jobs_and_saga_step_failures_are_counted_by_task_and_step(api: Api, customer: User) -> None:
    before = _samples(api)
    api.hypervisor.fail_next("create", message="storage full")
    api.order(customer)
    api.jobs.run_pending()

    after = _samples(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("hostprovider_jobs_total", task=PROVISION_TASK) == 1
    assert grew("hostprovider_job_duration_seconds_count", task=PROVISION_TASK) == 1
    assert grew("hostprovider_saga_step_failures_total", saga="create", step="guest") == 1


def test_the_docs_page_and_every_asset_it_names_come_from_our_origin(api: Api) -> None:
    page = api.client.simulate_get("/api/docs")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert linked and all(url.startswith("/api/docs/") for url in linked)  # no CDN
    for url in linked:
        asset = api.client.simulate_get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
    initializer = api.client.simulate_get("/api/docs/initializer.js")
    assert '"/api/openapi.json"' in initializer.text and "validatorUrl: null" in initializer.text
    assert "SwaggerUIBundle" in api.client.simulate_get("/api/docs/swagger-ui-bundle.js").text
    assert (
        api.client.simulate_get("/api/docs/swagger-ui.css")
        .headers["content-type"]
        .startswith("text/css")
    )
    assert set(ASSETS) <= {url.rsplit("/", 1)[1] for url in linked} | {"initializer.js"}


def test_the_docs_serve_no_other_file(api: Api) -> None:
    for name in ("index.html", "..%2F..%2Fpyproject.toml", "swagger-initializer.js"):
        assert api.client.simulate_get(f"/api/docs/{name}").status_code == 404


def test_a_store_that_does_not_answer_is_shown_not_raised(api: Api) -> None:
    def down() -> None:
        raise Unavailable("the database does not answer")

    app = create_app(attrs.evolve(api.rt, uow=down))
    result = testing.TestClient(app).simulate_get("/metrics")

    assert result.status_code == 200
    samples = parse(result.headers["content-type"], result.text)
    assert value(samples, "hostprovider_state_up") == 0
    assert not any(name == "hostprovider_ledger_balance_micro" for name, _ in samples)
