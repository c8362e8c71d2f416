"""The comparison on a real Dask LocalCluster (two worker processes over TCP on loopback), 22
synthetic municipalities: byte-identical to `som municipalities`, robust to a killed worker,
restartable; its manifest records the SHA-256 of every partition file read."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
from distributed import Client, LocalCluster  # noqa: E402

import som.dask as sd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "models/examples/synthetic-estimated.toml"
STUDY = "models/studies/synthetic-all-segments.toml"
CODES = [int(line.split(",")[0]) for line in
         (ROOT / "datasets/reference/municipalities.csv").read_text(encoding="utf-8").splitlines()[1:23]]
OPTS = dict(replicates=200, draws=500)
RESULTS = ["municipalities.csv", "regions.csv", "municipalities.json", "municipalities.md",
           "municipalities.html", "draws.parquet"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, som_bin):
    base = Path(os.environ.get("SOM_TEST_SCRATCH") or tmp_path_factory.mktemp("dask"))
    base.mkdir(parents=True, exist_ok=True)
    cases = base / "cases"
    subprocess.run([som_bin, "synth", "--out", cases, "-m", *map(str, CODES), "-n", "20000",
                    "--seed", "3"], check=True, capture_output=True)
    subprocess.run([som_bin, "municipalities", SCENARIO, cases, "--study", STUDY, "--replicates",
                    "200", "--draws", "500", "--keep-draws", "--only", ",".join(map(str, CODES)),
                    "--out", base / "single"], check=True, capture_output=True, cwd=ROOT)
    parts = sd.partition(cases, base / "partitioned")
    assert len(list(parts.glob("municipality=*"))) == len(CODES)
    return base


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      protocol="tcp", dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def same(a: Path, b: Path):
    for f in RESULTS:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


CASE_ROLES = {"persons", "services", "states", "dataset"}


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def case_hashes(out: Path, root: Path) -> dict[str, str]:
    """The case-data files a manifest records, by path under `root`, with their SHA-256."""
    m = json.loads((out / "manifest.json").read_text())
    return {Path(i["path"]).relative_to(root).as_posix(): i["sha256"]
            for i in m["inputs"] if i["role"] in CASE_ROLES}


def files_hashes(root: Path, pattern: str) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) for p in root.glob(pattern) if p.is_file()}


def check_manifest(out: Path, parts: Path, single: Path):
    """The Dask run's manifest is the single-machine run's but for the case-data files: those
    of the partitions instead of the national ones, each with the SHA-256 of its bytes."""
    m = json.loads((out / "manifest.json").read_text())
    s = json.loads((single / "manifest.json").read_text())
    assert {k: v for k, v in m.items() if k != "inputs"} == \
        {k: v for k, v in s.items() if k != "inputs"}  # options, municipalities, outputs' hashes

    def others(m):  # scenario, catalogues, estimates, study: the same files and hashes
        return [(i["role"], os.path.abspath(ROOT / i["path"]), i["sha256"])
                for i in m["inputs"] if i["role"] not in CASE_ROLES]

    assert others(m) == others(s) and others(m)[-1][0] == "study"
    assert case_hashes(out, parts) == files_hashes(parts, "municipality=*/*")
    national = single.parent / "cases"
    assert case_hashes(single, national) == {
        f: sha256(national / f)
        for f in ("persons.parquet", "services.parquet", "states.parquet", "dataset.toml")}


def fresh(out: Path):
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / (out.name + ".parts"), ignore_errors=True)


def test_dask_equals_single_machine(data, client):
    out = data / "dask"
    fresh(out)
    seen = []
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, progress=lambda step, d, n: seen.append((step, d, n)), **OPTS)
    assert r.complete and not r.failed, r
    assert len(r.computed["estimate"]) == len(CODES) and len(r.computed["run"]) == len(CODES)
    assert ("run", len(CODES), len(CODES)) in seen
    same(out, data / "single")
    check_manifest(out, data / "partitioned", data / "single")
    # No person-level row in what the runner kept: aggregates only.
    for f in (out.parent / (out.name + ".parts")).rglob("*"):
        if f.is_file():
            assert b"person_id" not in f.read_bytes(), f


def test_a_killed_worker_does_not_stop_the_run(data, client):
    out = data / "dask-killed"
    fresh(out)
    pids = list(client.run(os.getpid).values())
    victim = pids[0]

    def kill():
        time.sleep(0.4)
        os.kill(victim, signal.SIGKILL)

    t = threading.Thread(target=kill)
    t.start()
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, retries=2, **OPTS)
    t.join()
    assert victim not in client.run(os.getpid).values()  # the nanny started a new one
    if not r.complete:  # a task lost with its worker more often than retries: run again
        r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client,
                       only=CODES, keep_draws=True, **OPTS)
    assert r.complete, r
    same(out, data / "single")
    check_manifest(out, data / "partitioned", data / "single")


def test_rerun_after_interruption_recomputes_only_what_is_missing(data, client):
    out = data / "dask-restart"
    fresh(out)
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, stop_after=7, **OPTS)
    assert not r.complete and len(r.computed["estimate"]) == 7
    assert not out.exists()
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, stop_after=len(CODES) - 7, **OPTS)
    assert not r.complete
    assert len(r.skipped["estimate"]) == 7 and len(r.computed["estimate"]) == len(CODES) - 7
    assert r.computed["run"] == []
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, **OPTS)
    assert r.complete
    assert len(r.skipped["estimate"]) == len(CODES) and r.computed["estimate"] == []
    assert len(r.computed["run"]) == len(CODES)
    same(out, data / "single")
    # Everything done: a rerun recomputes nothing and writes the same files.
    r = sd.compare(SCENARIO, data / "partitioned", out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, **OPTS)
    assert r.complete and r.computed["run"] == [] and len(r.skipped["run"]) == len(CODES)
    same(out, data / "single")
    # The hashes of the partitions estimated in an earlier run are kept with their estimates.
    check_manifest(out, data / "partitioned", data / "single")


def test_changing_one_partition_file_changes_the_manifest(data, client, tmp_path):
    import polars as pl

    parts = tmp_path / "partitioned"
    shutil.copytree(data / "partitioned", parts)
    victim = parts / f"municipality={CODES[5]}" / "persons.parquet"
    before = victim.read_bytes()
    pl.read_parquet(victim).write_parquet(victim, compression="uncompressed")  # same rows
    assert victim.read_bytes() != before
    out = tmp_path / "out"
    r = sd.compare(SCENARIO, parts, out, study=STUDY, client=client, only=CODES,
                   keep_draws=True, **OPTS)
    assert r.complete, r
    same(out, data / "single")  # the same rows: the same results
    check_manifest(out, parts, data / "single")
    was = files_hashes(data / "partitioned", "municipality=*/*")
    now = case_hashes(out, parts)
    assert now.keys() == was.keys()
    assert {f for f in now if now[f] != was[f]} == {victim.relative_to(parts).as_posix()}


def test_a_failing_municipality_is_reported_not_fatal(data, client, tmp_path):
    # A broken partition: its services table is not Parquet.
    broken = tmp_path / "partitioned"
    shutil.copytree(data / "partitioned", broken)
    bad = CODES[3]
    (broken / f"municipality={bad}" / "services.parquet").write_bytes(b"not parquet")
    out = tmp_path / "out"
    r = sd.compare(SCENARIO, broken, out, study=STUDY, client=client, only=CODES, retries=0,
                   **OPTS)
    assert not r.complete and list(r.failed) == [bad]
    assert "services" in r.failed[bad]
    assert len(r.computed["estimate"]) == len(CODES) - 1


def test_kept_steps_are_reused_only_for_the_same_run(data, client, tmp_path):
    """A rerun with other options (or inputs) discards the kept steps; one whose partition
    changed since its estimate estimates and runs that municipality again, and only it."""
    few = CODES[:3]
    parts = tmp_path / "partitioned"
    for code in few:
        shutil.copytree(data / "partitioned" / f"municipality={code}", parts / f"municipality={code}")
    out = tmp_path / "out"

    def go(**kw):
        opts = {**OPTS, **kw}
        r = sd.compare(SCENARIO, parts, out, study=STUDY, client=client, only=few, **opts)
        assert r.complete, r
        return r

    r = go()
    assert sorted(r.computed["estimate"]) == sorted(few) and r.discarded == {}
    first = (out / "municipalities.csv").read_bytes()
    r = go()
    assert r.computed["estimate"] == [] and r.computed["run"] == [] and r.discarded == {}
    # Other options: nothing kept is reused, and the result is the new run's.
    r = go(draws=400)
    assert "inputs" in r.discarded
    assert sorted(r.computed["estimate"]) == sorted(few) and sorted(r.computed["run"]) == sorted(few)
    assert (out / "municipalities.csv").read_bytes() != first
    # Back to the first options: the same files as the first time.
    r = go()
    assert "inputs" in r.discarded and (out / "municipalities.csv").read_bytes() == first
    # One partition's file rewritten (the same rows in other bytes), a file added to another.
    import polars as pl

    victim = parts / f"municipality={few[0]}" / "services.parquet"
    pl.read_parquet(victim).write_parquet(victim, compression="uncompressed")
    (parts / f"municipality={few[2]}" / "notes.txt").write_text("added later")
    r = go()
    assert sorted(r.discarded["partitions"]) == sorted([few[0], few[2]])
    assert sorted(r.computed["estimate"]) == sorted([few[0], few[2]])
    assert sorted(r.computed["run"]) == sorted([few[0], few[2]])
    assert r.skipped["estimate"] == [few[1]] and r.skipped["run"] == [few[1]]
    assert (out / "municipalities.csv").read_bytes() == first  # the same rows
    status = json.loads((out.parent / "out.parts" / "status.json").read_text())
    assert sorted(status["discarded"]["partitions"]) == sorted([few[0], few[2]])
    # Now the kept steps match the partitions again.
    r = go()
    assert r.discarded == {} and r.computed["estimate"] == [] and r.computed["run"] == []


def test_runs_are_redone_when_the_reference_or_the_cases_folder_changes(data, client, tmp_path):
    """Each cohort is sized against the reference municipality's participants: when that
    municipality's partition changes them, every run is redone, not only its own. And kept
    estimates are never taken for another cases folder's, even with files of the same names."""
    import polars as pl

    few = CODES[:3]
    parts = tmp_path / "partitioned"
    for code in few:
        shutil.copytree(data / "partitioned" / f"municipality={code}", parts / f"municipality={code}")
    out = tmp_path / "out"

    def go(cases=parts):
        r = sd.compare(SCENARIO, cases, out, study=STUDY, client=client, only=few,
                       reference=few[0], **OPTS)
        assert r.complete, r
        return r

    go()
    first = (out / "municipalities.csv").read_bytes()
    # Fewer persons in the reference municipality: its participants, so everyone's size, change.
    d = parts / f"municipality={few[0]}"
    keep = pl.read_parquet(d / "persons.parquet").sample(fraction=0.6, seed=1)["person_id"]
    for t in ("persons", "services", "states"):
        f = d / f"{t}.parquet"
        if f.exists():
            pl.read_parquet(f).filter(pl.col("person_id").is_in(keep.to_list())).write_parquet(f)
    r = go()
    assert r.discarded.get("partitions") == [few[0]] and "reference" in r.discarded, r.discarded
    assert r.computed["estimate"] == [few[0]]
    assert sorted(r.computed["run"]) == sorted(few)
    assert (out / "municipalities.csv").read_bytes() != first
    # The same partitions under another folder: nothing kept is taken for them.
    other = tmp_path / "elsewhere"
    shutil.copytree(parts, other)
    r = go(other)
    assert "inputs" in r.discarded and sorted(r.computed["estimate"]) == sorted(few)
    m = json.loads((out / "manifest.json").read_text())
    case_files = [i["path"] for i in m["inputs"] if i["role"] in CASE_ROLES]
    assert case_files and all(Path(p).is_relative_to(other) for p in case_files), case_files


def test_partitions_the_client_cannot_see_are_an_error(data, client, tmp_path):
    """A cases folder without partitions (a typo, or storage the client has not mounted) is a
    clear error, not a comparison of municipalities without persons."""
    from som import SomError

    with pytest.raises(SomError, match="no partition municipality="):
        sd.compare(SCENARIO, tmp_path / "nowhere", tmp_path / "out", study=STUDY, client=client,
                   only=CODES[:2], **OPTS)
