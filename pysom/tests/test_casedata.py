"""Estimation and the municipality comparison from Python: frames or paths, same numbers as the
command line, clear errors for bad frames."""

import json
from pathlib import Path

import polars as pl
import pytest

import som

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "datasets/synthetic-small"
STUDY = "models/studies/synthetic-all-segments.toml"


def test_estimate_from_frames_equals_from_paths_and_cli(cli, tmp_path):
    frames = {t: pl.read_parquet(SMALL / f"{t}.parquet") for t in ("persons", "services")}
    a = som.estimate(STUDY, SMALL, replicates=100)
    b = som.estimate(STUDY, frames, replicates=100, )
    cli("estimate", STUDY, SMALL, "--replicates", 100, "--out", tmp_path / "cli")
    for name in ("effects.csv", "baseline.csv", "balance.csv", "bootstrap.parquet"):
        assert a.files[name] == (tmp_path / "cli" / name).read_bytes(), name
    # Frames (no dataset.toml: the period is the data's span) give the same effects here.
    assert a.effects.equals(b.effects)
    assert a.summary["sample"] == b.summary["sample"]


def test_bad_frames_raise_clear_errors():
    persons = pl.read_parquet(SMALL / "persons.parquet")
    services = pl.read_parquet(SMALL / "services.parquet")
    bad = persons.with_columns(pl.lit("nineteen-eighty").alias("birth_year"))
    with pytest.raises(som.SomError) as e:
        som.estimate(STUDY, {"persons": bad, "services": services}, replicates=100)
    assert "birth_year" in str(e.value)
    assert any(d["field"] == "birth_year" for d in e.value.diagnostics)
    with pytest.raises(som.SomError, match="amount|units"):
        som.check({"persons": persons, "services": services.with_columns(pl.lit("x").alias("amount"))})
    with pytest.raises(som.SomError):
        som.check({"persons": persons.drop("person_id"), "services": services})
    with pytest.raises(som.SomError, match="unknown table"):
        som.check({"people": persons, "services": services})


def test_check_report():
    r = som.check(SMALL)
    assert r["persons"]["persons"] == 3000


def test_compare_municipalities_equals_cli(cli, tmp_path):
    only = "101,751"
    cli("municipalities", "models/families-one-plan.toml", "--only", only, "--draws", 300,
        "--keep-draws", "--out", tmp_path / "cli")
    seen = []
    c = som.compare_municipalities("models/families-one-plan.toml", only=[101, 751], draws=300,
                                   keep_draws=True, out=tmp_path / "py",
                                   progress=lambda step, done, total: seen.append((step, done, total)))
    assert seen and seen[-1] == ("run", 2, 2)
    for f in ("municipalities.csv", "regions.csv", "municipalities.json", "draws.parquet"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
        assert c.files[f] == (tmp_path / "cli" / f).read_bytes()
    assert c.rows.height == 2 and c.draws.height == 300
    assert c.summary == json.loads((tmp_path / "cli" / "municipalities.json").read_text())


def test_compare_with_case_data_equals_cli(cli, tmp_path):
    args = ["models/examples/synthetic-estimated.toml", SMALL, "--study", STUDY,
            "--replicates", 100, "--draws", 200, "--only", "751,101"]
    cli("municipalities", *args, "--out", tmp_path / "cli")
    c = som.compare_municipalities("models/examples/synthetic-estimated.toml", SMALL, study=STUDY,
                                   replicates=100, draws=200, only=[751, 101])
    assert c.files["municipalities.csv"] == (tmp_path / "cli" / "municipalities.csv").read_bytes()
    rows = {r["code"]: r for r in c.rows.to_dicts()}
    assert rows[751]["status"] == "ok" and rows[101]["status"] == "insufficient_data"
