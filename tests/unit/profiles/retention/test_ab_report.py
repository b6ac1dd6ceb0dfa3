"""`python -m engine report ab` on a generated store (real SQLite) and on a CSV."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from engine.profiles.retention.ab import arm
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import insert

ROOT = Path(__file__).resolve().parents[4]


def _generate(n: int, seed: int = 9) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        cid = f"cust-{i}"
        treated = arm(cid, "retention", 0.8) == "treatment"
        rows.append(
            {
                "customer_id": cid,
                "churned": int(rnd.random() < (0.12 if treated else 0.22)),
                "complained": int(rnd.random() < (0.04 if treated else 0.07)),
            }
        )
    return rows


class Cli:
    """Runs `python -m engine --config ... report ab ...` as the operator would."""

    def __init__(self, tmp_path: Path, db_path: Path) -> None:
        self.cfg = tmp_path / "e.toml"
        self.cfg.write_text(f'database_path = "{db_path}"\nab_control_share = 0.2\n')

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGINE_")}
        return subprocess.run(
            [sys.executable, "-m", "engine", "--config", str(self.cfg), "report", "ab", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_report_from_the_store(tmp_path):
    rows = _generate(6000)
    db = Database(tmp_path / "engine.db", MIGRATIONS).open_sync()
    customers = [{"id": r["customer_id"], "name": "x"} for r in rows]
    churned = [
        {"id": f"e{i}", "customer_id": r["customer_id"], "type": "churned"}
        for i, r in enumerate(rows)
        if r["churned"]
    ]
    complaints = [
        {"id": f"k{i}", "customer_id": r["customer_id"], "kind": "complaint"}
        for i, r in enumerate(rows)
        if r["complained"]
    ]
    db.run_sync(insert, "customers", customers)
    db.run_sync(insert, "events", churned)
    db.run_sync(insert, "tickets", complaints)
    db.close_sync()
    cli = Cli(tmp_path, tmp_path / "engine.db")
    done = cli("--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    control, treatment = data["arms"]["control"], data["arms"]["treatment"]
    assert control["customers"] + treatment["customers"] == 6000
    assert 0.15 < control["customers"] / 6000 < 0.25
    expected_churn = sum(
        r["churned"] for r in rows if arm(r["customer_id"], "retention", 0.8) == "control"
    )
    assert control["retention"]["count"] == control["customers"] - expected_churn
    low, high = data["retention_lift"]["ci"]
    assert 0 < low < 0.10 < high, "treatment retains about 10 points more"
    arms = {
        a: [r for r in rows if arm(r["customer_id"], "retention", 0.8) == a]
        for a in ("control", "treatment")
    }
    rate = {a: sum(r["complained"] for r in rs) / len(rs) for a, rs in arms.items()}
    change = data["complaint_change"]
    assert change["difference"] == round(rate["treatment"] - rate["control"], 4)
    assert change["ci"][0] < change["difference"] < change["ci"][1] < 0.01
    text = cli().stdout
    assert "control" in text and "treatment" in text and "retention, treatment - control" in text


def test_report_from_csv_and_a_bad_csv(tmp_path):
    path = tmp_path / "outcomes.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["customer_id", "churned", "complained"])
        w.writeheader()
        w.writerows(_generate(3000, seed=2))
    cli = Cli(tmp_path, tmp_path / "none.db")
    done = cli("--csv", str(path), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert sum(a["customers"] for a in data["arms"].values()) == 3000
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,complained\nc1,0\n")
    done = cli("--csv", str(bad))
    assert done.returncode == 2 and "missing column(s) churned" in done.stderr
    done = cli()
    assert done.returncode == 2 and "no database" in done.stderr
