"""Risk score: tiers by the YAML thresholds, reasons sorted by contribution; the model file;
training (AUC, calibration, weights) from records and from a CSV with bad rows."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from engine.profiles.risk import config as risk_config
from engine.profiles.risk import score as model
from engine.profiles.risk import train_data
from engine.profiles.risk.score import Model, Term, default_model, score
from engine.profiles.risk.train import TrainError, auc, train

SKILLS = Path(__file__).resolve().parents[4] / "skills"
CONFIG = risk_config.load(SKILLS / "risk-tags.yaml")
DEFAULT = default_model(CONFIG)


def tier_of(*tags: str) -> str:
    return score({t: t for t in tags}, {}, DEFAULT, CONFIG.tiers).tier


@pytest.mark.parametrize(
    ("tags", "tier"),
    [
        ((), "low"),
        (("agitated-caller",), "low"),
        (("unresolved-complaint",), "medium"),
        (("low-ratings",), "medium"),
        (("order-value-drop",), "medium"),
        (("no-login-after-inquiry",), "medium"),
        (("tickets-unresolved",), "high"),
        (("no-interaction",), "high"),
        (("unresolved-complaint", "order-value-drop"), "high"),
        (("unresolved-complaint", "order-value-drop", "accepted-offer"), "medium"),
        (("low-ratings", "accepted-offer"), "low"),
    ],
)
def test_tiers_follow_the_yaml_weights_and_thresholds(tags: tuple[str, ...], tier: str) -> None:
    assert tier_of(*tags) == tier


def test_score_is_the_logistic_of_the_weights() -> None:
    s = score({"tickets-unresolved": "3 unresolved tickets"}, {}, DEFAULT, CONFIG.tiers)
    assert s.score == pytest.approx(1 / (1 + math.exp(-(-3.0 + 3.2))), abs=1e-4)


def test_reasons_are_sorted_by_contribution_with_descriptions() -> None:
    tags = {
        "accepted-offer": "Accepted an offer",
        "unresolved-complaint": "Complaint open",
        "tickets-unresolved": "3 unresolved tickets",
        "agitated-caller": "Caller angry",
    }
    s = score(tags, {}, DEFAULT, CONFIG.tiers)
    assert [r.tag for r in s.reasons] == [
        "tickets-unresolved",
        "unresolved-complaint",
        "agitated-caller",
        "accepted-offer",
    ]
    assert s.reasons[0].description == "3 unresolved tickets"
    assert s.reasons[0].contribution == 3.2 and s.reasons[-1].contribution == -1.0
    assert s.reasons_json()[0] == {
        "tag": "tickets-unresolved",
        "weight": 3.2,
        "contribution": 3.2,
        "description": "3 unresolved tickets",
    }


def test_numeric_and_category_terms_explain_themselves() -> None:
    m = Model(
        -2.0,
        (
            Term("days_inactive", "numeric", 1.0, 10.0, 5.0),
            Term("plan=basic", "category", 0.5),
            Term("quiet", "tag", 2.0),
        ),
    )
    s = score({}, {"days_inactive": 25.0, "plan": "basic"}, m, CONFIG.tiers)
    assert [(r.tag, r.contribution) for r in s.reasons] == [
        ("days_inactive", 3.0),
        ("plan=basic", 0.5),
    ]
    assert s.reasons[0].description == "Days since last activity: 25 (typical 10)"
    assert s.reasons[1].description == "plan: basic"
    assert s.score == pytest.approx(1 / (1 + math.exp(-1.5)), abs=1e-4)
    # a tag that holds but the learned model does not know: shown, weighing nothing
    s = score({"new-tag": "Something new"}, {}, m, CONFIG.tiers)
    assert [(r.tag, r.contribution) for r in s.reasons] == [("new-tag", 0.0)]


def test_model_file_round_trip_and_broken_file(tmp_path: Path) -> None:
    m = Model(
        -1.5,
        (Term("quiet", "tag", 2.0), Term("x", "numeric", 0.3, 4.0, 2.0)),
        "abc",
        "store",
        1.0,
        {"auc": 0.8},
    )
    path = tmp_path / "m.json"
    model.save(m, path)
    assert model.load(path) == m
    assert model.load(tmp_path / "none.json") is None
    path.write_text('{"intercept": 1, "terms": [{"name": "x", "kind": "odd", "weight": 1}]}')
    with pytest.raises(model.ModelError, match=r"m.json: not a risk model: unknown term kind"):
        model.load(path)


# -- training ---------------------------------------------------------------------------
def synthetic(n: int, seed: int = 1) -> tuple[list[dict[str, object]], list[int]]:
    rng = random.Random(seed)
    records, labels = [], []
    for _ in range(n):
        r = {
            "quiet": int(rng.random() < 0.3),
            "complaint": int(rng.random() < 0.2),
            "days_inactive": rng.uniform(0, 60),
            "plan": rng.choice(["basic", "pro", "max"]),
            "noise": rng.gauss(0, 1),
        }
        z = (
            -3
            + 2.0 * r["quiet"]
            + 1.5 * r["complaint"]
            + 0.04 * r["days_inactive"]
            + (0.8 if r["plan"] == "basic" else 0.0)
        )
        records.append(r)
        labels.append(int(rng.random() < 1 / (1 + math.exp(-z))))
    return records, labels


def test_training_learns_the_signal_and_reports_calibration() -> None:
    records, labels = synthetic(6000)
    m, report = train(records, labels, "test", test_share=0.25, seed=3, now=0.0)
    weights = {t.name: t.weight for t in m.terms}
    assert report.auc > 0.75
    assert weights["quiet"] > 1.2 and weights["complaint"] > 0.8
    assert weights["plan=basic"] > weights["plan=pro"]
    assert abs(weights["noise"]) < 0.2
    assert report.test_rows == 1500 and len(report.reliability) == 10
    assert report.reliability[0]["predicted"] < report.reliability[-1]["predicted"]
    assert report.reliability[-1]["observed"] > report.reliability[0]["observed"]
    assert 0 < report.brier < 0.25
    tags = {t.name: t.kind for t in m.terms}
    assert tags["quiet"] == "tag" and tags["days_inactive"] == "numeric"


def test_auc_counts_ties_half() -> None:
    import numpy as np

    assert auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    assert auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.9])) == 1.0


def test_training_refuses_one_class() -> None:
    with pytest.raises(TrainError, match="both churned and retained"):
        train([{"a": 1}] * 50, [0] * 50, "test")


def test_csv_with_categorical_numeric_and_bad_rows(tmp_path: Path) -> None:
    records, labels = synthetic(800, seed=2)
    lines = ["customer_id,quiet,complaint,days_inactive,plan,churned"]
    lines += [
        f"c{i},{r['quiet']},{'true' if r['complaint'] else 'false'},"
        f"{r['days_inactive']:.1f},{r['plan']},{y}"
        for i, (r, y) in enumerate(zip(records, labels, strict=True))
    ]
    lines += ["x1,1,0,abc,basic,1", "x2,1,0,3,basic,maybe", "x3,1,0", "x4,0,0,,pro,0"]
    path = tmp_path / "crm.csv"
    path.write_text("\n".join(lines) + "\n")
    data = train_data.from_csv(str(path), "churned")
    assert data.skipped == [
        "line 802: days_inactive 'abc' is not a number",
        "line 803: churned 'maybe' is not a churn label (1/0, true/false, yes/no, 是/否)",
        "line 804: 3 cells, the header has 6",
    ]
    assert len(data.records) == 801 and "customer_id" not in data.records[0]
    assert data.records[-1]["days_inactive"] is None  # empty: counts as the mean
    m, report = train(data.records, data.labels, data.source)
    kinds = {t.name: t.kind for t in m.terms}
    assert kinds["complaint"] == "tag" and kinds["plan=basic"] == "category"
    assert report.auc > 0.65
    with pytest.raises(TrainError, match="no column 'left'"):
        train_data.from_csv(str(path), "left")


def test_engine_loads_the_model_at_start_and_keeps_the_last_good_on_reload(tmp_path: Path) -> None:
    from engine.profiles.risk.service import RiskService
    from engine.settings import SettingsError, load
    from engine.store.database import Database

    path = tmp_path / "risk-model.json"
    settings = load(None, environ={}, database_path=str(tmp_path / "e.db"), skills_dir=str(SKILLS))
    db = Database(tmp_path / "e.db")
    service = RiskService(settings, db, None, lambda _c: "treatment")
    assert service.model == DEFAULT  # no file: the YAML weights
    trained = Model(-1.0, (Term("tickets-unresolved", "tag", 2.5),), "v1", "store")
    model.save(trained, path)
    assert service.reload()["risk-model.json"] == [] and service.model == trained
    path.write_text("{not json")
    errors = service.reload()["risk-model.json"]
    assert errors and "risk-model.json: not a risk model" in errors[0]
    assert service.model == trained
    with pytest.raises(SettingsError, match="not a risk model"):
        RiskService(settings, db, None, lambda _c: "treatment")
