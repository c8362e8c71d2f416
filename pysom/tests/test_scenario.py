"""The package against the command line, overrides, errors, frames and the GIL."""

import json
import threading
import time
from pathlib import Path

import polars as pl
import pytest

import som

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(
    p.relative_to(ROOT).as_posix()
    for p in [*ROOT.glob("models/*.toml"), *ROOT.glob("models/examples/*.toml")]
    if "[[cohort]]" in p.read_text(encoding="utf-8")
)


def test_every_bundled_scenario_is_found():
    assert len(BUNDLED) >= 6, BUNDLED


@pytest.mark.parametrize("scenario", BUNDLED)
@pytest.mark.parametrize("draws", [0, 300])
def test_python_and_command_line_give_identical_numbers(scenario, draws, cli, tmp_path):
    """Same summary.json, ledger and draws, byte for byte, as `som run` with the same options."""
    out_cli = tmp_path / "cli"
    cli("run", scenario, "--out", out_cli, "--draws", draws, "--seed", 11, "--keep-draws",
        "--no-charts", "--no-workbook")
    run = som.load(scenario).run(draws, seed=11)
    out_py = run.write(tmp_path / "py", keep_draws=True, charts=False, workbook=False)
    for f in ["summary.json", "ledger.parquet", "ledger.csv", "summary.md"]:
        assert (out_py / f).read_bytes() == (out_cli / f).read_bytes(), f
    assert run.summary_json().encode() == (out_cli / "summary.json").read_bytes()
    assert run.summary == json.loads((out_cli / "summary.json").read_text())
    # The frames handed over through the Arrow C stream equal what the command line wrote.
    assert run.ledger.equals(pl.read_parquet(out_cli / "ledger.parquet"))
    if draws:
        assert (out_py / "draws.parquet").read_bytes() == (out_cli / "draws.parquet").read_bytes()
        assert run.draws.equals(pl.read_parquet(out_cli / "draws.parquet"))
        assert run.draws.height == draws
    else:
        assert run.draws is None
    # The manifests differ only in the output folder they name.
    m_cli = json.loads((out_cli / "manifest.json").read_text())
    m_py = json.loads((out_py / "manifest.json").read_text())
    m_cli["options"].pop("out")
    m_py["options"].pop("out")
    assert m_py == m_cli


def test_text_and_file_give_the_same_run():
    path = "models/families-one-plan.toml"
    text = (ROOT / path).read_text(encoding="utf-8")
    a = som.load(path).run(200, seed=3)
    b = som.loads(text, base_dir="models").run(200, seed=3)
    assert a.ledger.equals(b.ledger)
    assert a.draws.equals(b.draws)
    assert a.summary["total"] == b.summary["total"]


def test_override_equals_the_edited_file(tmp_path):
    s = som.load("models/families-one-plan.toml")
    t = s.with_inputs({"success.with": 0.55}, horizon=8)
    assert t.name == s.name
    text = (ROOT / "models/families-one-plan.toml").read_text(encoding="utf-8")
    assert t.run(0).npv != s.run(0).npv
    # The same change made in the file by hand gives the same numbers.
    edited = som.loads(t.toml, base_dir="models")
    assert edited.run(0).ledger.equals(t.run(0).ledger)
    assert "with = 0.55" in t.toml and "with = 0.55" not in text


def test_fixing_a_correlated_input_drops_its_pairs():
    s = som.load("models/families-one-plan.toml")
    assert s.toml.count("[[correlation]]") == 3
    # A number fixes success.with: its pair with success.without goes, the other two stay.
    t = s.with_inputs({"success.with": 0.55})
    assert t.toml.count("[[correlation]]") == 2 and '"success.with"' not in t.toml
    # A distribution keeps it uncertain, and its pair.
    u = s.with_inputs({"success.with": {"dist": "beta", "mean": 0.55, "sd": 0.08}})
    assert u.toml.count("[[correlation]]") == 3 and '"success.with"' in u.toml
    assert u.run(500, seed=2).n_draws == 500


def test_override_in_a_loop_moves_npv_monotonically():
    s = som.load("models/families-one-plan.toml")
    npv = [s.with_inputs({"success.with": w}).run(0).npv for w in (0.2, 0.3, 0.4, 0.5)]
    assert npv == sorted(npv)


def test_inputs_frame():
    ins = som.load("models/families-one-plan.toml").inputs
    assert ins.columns == ["name", "value", "uncertain"]
    assert "success.with" in ins["name"].to_list()


def test_unknown_field_raises_with_field_and_file():
    s = som.load("models/families-one-plan.toml")
    with pytest.raises(som.SomError) as e:
        s.with_inputs({"succes.with": 0.5})
    msg = str(e.value)
    assert "succes" in msg and "(with overrides)" in msg
    d = e.value.diagnostics
    assert d and d[0]["field"].startswith("succes")


def test_wrong_type_raises_like_the_command_line(cli, tmp_path, som_bin):
    import subprocess

    bad = tmp_path / "bad.toml"
    text = (ROOT / "models/families-one-plan.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("horizon = ", 'horizon = "ten" # ', 1), encoding="utf-8")
    with pytest.raises(som.SomError) as e:
        som.load(bad)
    p = subprocess.run([som_bin, "validate", str(bad)], capture_output=True, text=True)
    assert p.returncode != 0
    assert str(e.value) in p.stderr
    d = e.value.diagnostics[0]
    assert d["file"] == str(bad) and d["field"] == "horizon" and d["line"] >= 1


def test_other_errors_are_exceptions_never_crashes(tmp_path):
    with pytest.raises(som.SomError, match="cannot read"):
        som.load(tmp_path / "missing.toml")
    with pytest.raises(som.SomError):
        som.loads("this is not toml")
    with pytest.raises(som.SomError):
        som.load("models/families-one-plan.toml").with_inputs({"cohort[99].participants": 1})
    with pytest.raises(ValueError):
        som.load("models/families-one-plan.toml").with_inputs({"horizon": object()})
    with pytest.raises(som.SomError, match="unknown input"):
        som.load("models/families-one-plan.toml").run(0, switch=["no.such.input"])
    with pytest.raises(som.SomError, match="lang"):
        som.load("models/families-one-plan.toml").run(0).write(tmp_path / "x", lang="fr")
    with pytest.raises(OverflowError):
        som.load("models/families-one-plan.toml").run(-1)


def test_a_stream_is_handed_over_once():
    inner = som.load("models/families-one-plan.toml").run(0)._inner
    s = inner.ledger()
    df = pl.DataFrame(s)
    assert df.height > 0
    with pytest.raises(ValueError, match="consumed"):
        s.__arrow_c_stream__()


def test_long_runs_release_the_gil():
    s = som.load("models/families-one-plan.toml")
    ticks = 0
    done = threading.Event()

    def work():
        s.run(20_000, seed=5)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    assert ticks > 5, ticks


def test_schema():
    assert "properties" in som.scenario_schema()
