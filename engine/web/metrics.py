"""``GET /metrics``: the engine's figures as Prometheus text (prometheus-client).

Gathered at scrape time from the sources the wallboard reads: call records by outcome
(SQLite), queues (waiting, longest wait, service level, abandoned) and agents by state
(Redis), live speech (legs, recognition lag, level), dialer campaigns (abandon rate and its
limit, agents' occupancy, lines) and customers by churn-risk tier. Each scrape builds its
own registry, so nothing is kept between scrapes and every engine answers for the whole
shared state. Like every route it needs a bearer token (Prometheus' ``authorization``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


def _gauge(name: str, doc: str, labels: list[str], values: list[tuple[list[str], float]]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(label_values, value)
    return family


def families(data: dict[str, Any]) -> list[Metric]:
    """The metric families of one scrape's ``data`` (pure: tested without an engine)."""
    queues, agents = data["queues"], data["agents"]
    speech = data.get("speech") or {}
    recognition = speech.get("recognition") or {}
    out = [
        _gauge(
            "tenure_calls_by_outcome",
            "Call records by final status (since the database began)",
            ["outcome"],
            [([k or "unknown"], float(v)) for k, v in sorted(data["outcomes"].items())],
        ),
        _gauge(
            "tenure_calls_live",
            "Calls in progress on this engine",
            [],
            [([], float(data["live_calls"]))],
        ),
        _gauge(
            "tenure_queue_waiting",
            "Calls waiting per queue",
            ["queue"],
            [([q["queue"]], float(q["waiting"])) for q in queues],
        ),
        _gauge(
            "tenure_queue_longest_wait_seconds",
            "Longest current wait per queue",
            ["queue"],
            [([q["queue"]], float(q["longest_wait"])) for q in queues],
        ),
        _gauge(
            "tenure_queue_service_level_percent",
            "Today's service level per queue",
            ["queue"],
            [
                ([q["queue"]], float(q["service_level"]))
                for q in queues
                if q.get("service_level") is not None
            ],
        ),
        _gauge(
            "tenure_queue_abandoned",
            "Today's abandoned calls per queue",
            ["queue"],
            [([q["queue"]], float(q["abandoned"])) for q in queues],
        ),
        _gauge(
            "tenure_agents",
            "Agents by state",
            ["state"],
            [([s], float(n)) for s, n in sorted(Counter(a["state"] for a in agents).items())],
        ),
        _gauge(
            "tenure_speech_legs",
            "Legs being transcribed (admitted)",
            [],
            [([], float(speech.get("legs", 0)))],
        ),
        _gauge(
            "tenure_speech_lag_seconds",
            "Recognition lag behind real time",
            [],
            [([], float(recognition.get("lag", 0.0)))],
        ),
        _gauge(
            "tenure_speech_level",
            "Recognition overload level (0: all legs heard)",
            [],
            [([], float(recognition.get("level", 0)))],
        ),
        _gauge(
            "tenure_risk_customers",
            "Customers by churn-risk tier",
            ["tier"],
            [([t or "none"], float(n)) for t, n in sorted(data["tiers"].items())],
        ),
    ]
    campaigns = data["campaigns"]
    abandon = [(c, (c.get("progress") or {}).get("abandon") or {}) for c in campaigns]
    out += [
        _gauge(
            "tenure_dialer_abandon_rate",
            "Abandon rate over the campaign's window",
            ["campaign"],
            [([str(c["name"])], float(a.get("rate") or 0)) for c, a in abandon],
        ),
        _gauge(
            "tenure_dialer_abandon_limit",
            "The campaign's abandon-rate limit",
            ["campaign"],
            [([str(c["name"])], float(a["limit"])) for c, a in abandon if a.get("limit")],
        ),
        _gauge(
            "tenure_dialer_occupancy",
            "Occupancy of the campaign's agents",
            ["campaign"],
            [
                ([str(c["name"])], float((c.get("agents") or {})["occupancy"]))
                for c in campaigns
                if (c.get("agents") or {}).get("occupancy") is not None
            ],
        ),
        _gauge(
            "tenure_dialer_lines",
            "Lines dialling or talking",
            ["campaign"],
            [
                ([str(c["name"])], float((c.get("live") or {}).get("lines", c.get("lines", 0))))
                for c in campaigns
            ],
        ),
    ]
    return out


class _Scrape(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def render(data: dict[str, Any]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(families(data)))
    return generate_latest(registry)


def content_type() -> str:
    return CONTENT_TYPE_LATEST.split(";")[0]


def response(data: dict[str, Any]) -> web.Response:
    return web.Response(body=render(data), content_type=content_type(), charset="utf-8")
