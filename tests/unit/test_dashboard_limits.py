"""The dashboard server refuses oversized bodies (413) and floods from one client (429)."""

from __future__ import annotations

import pytest

from trustsurvey.dashboard.app import create_app
from trustsurvey.dashboard.security import RateLimiter
from trustsurvey.publish.fixture import demo_bundle


@pytest.fixture(scope="module")
def bundle():
    return demo_bundle()


def _client(bundle, monkeypatch: pytest.MonkeyPatch, **env: str):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return create_app(bundle).server.test_client()


def test_oversized_callback_body_is_413_before_it_is_read(bundle, monkeypatch) -> None:
    client = _client(bundle, monkeypatch, TRUSTSURVEY_DASHBOARD_MAX_BODY="1000")
    answer = client.post(
        "/_dash-update-component", data=b"{" + b" " * 5000 + b"}", content_type="application/json"
    )
    assert answer.status_code == 413


def test_default_body_limit_is_one_mebibyte(bundle, monkeypatch) -> None:
    monkeypatch.delenv("TRUSTSURVEY_DASHBOARD_MAX_BODY", raising=False)
    client = create_app(bundle).server.test_client()
    big = b"x" * ((1 << 20) + 1)
    answer = client.post("/_dash-update-component", data=big, content_type="application/json")
    assert answer.status_code == 413
    assert client.get("/").status_code == 200


def test_one_client_flooding_gets_429_with_retry_after(bundle, monkeypatch) -> None:
    client = _client(bundle, monkeypatch, TRUSTSURVEY_DASHBOARD_RATE="1")
    codes = [client.get("/_dash-layout").status_code for _ in range(15)]
    assert codes[:10] == [200] * 10  # a burst of ten times the rate goes through
    assert 429 in codes[10:]
    refused = client.get("/_dash-layout")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_other_clients_are_not_held_back(bundle, monkeypatch) -> None:
    client = _client(bundle, monkeypatch, TRUSTSURVEY_DASHBOARD_RATE="1")
    for _ in range(12):
        client.get("/_dash-layout", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other = client.get("/_dash-layout", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200


def test_bad_limit_setting_is_a_clear_error(bundle, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTSURVEY_DASHBOARD_RATE", "fast")
    with pytest.raises(ValueError, match="TRUSTSURVEY_DASHBOARD_RATE must be a number"):
        create_app(bundle)


def test_rate_limiter_refills_over_time() -> None:
    times = iter([0.0, 0.0, 0.5, 2.0])
    limiter = RateLimiter(rate=1, burst=1, clock=lambda: next(times))
    assert limiter.wait("a") == 0.0
    assert limiter.wait("a") == pytest.approx(1.0)
    assert limiter.wait("a") == pytest.approx(0.5)
    assert limiter.wait("a") == 0.0
