"""Progress of the long calls: `Scenario.run(draws)`, `estimate` and `compare_municipalities`
call `progress(step, done, total)` from the caller's thread a bounded number of times, `done`
rising to `total`; the numbers do not change; a callback that raises stops the run and its
exception comes out as it is."""

import threading
from pathlib import Path

import pytest

import som

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "models/families-one-plan.toml"
STUDY = "models/studies/synthetic-all-segments.toml"
SMALL = ROOT / "datasets/synthetic-small"


class Recorder:
    def __init__(self):
        self.calls = []
        self.threads = set()

    def __call__(self, step, done, total):
        self.calls.append((step, done, total))
        self.threads.add(threading.get_ident())

    def steps(self):
        """The calls by step, in the order the steps came."""
        out = {}
        for step, done, total in self.calls:
            out.setdefault(step, []).append((done, total))
        return out


def check_calls(rec: Recorder, steps: list[str]):
    assert list(rec.steps()) == steps, rec.calls
    assert rec.threads == {threading.get_ident()}, "called from the caller's thread"
    assert len(set(rec.calls)) == len(rec.calls), "never twice with the same arguments"
    for step, calls in rec.steps().items():
        done = [d for d, _ in calls]
        totals = {t for _, t in calls}
        assert len(totals) == 1, (step, calls)
        assert done == sorted(done) and len(set(done)) == len(done), (step, calls)
        assert done[0] == 0 and done[-1] == totals.pop(), (step, calls)
        assert len(calls) <= 22, (step, len(calls))  # start, twentieths, end


def test_run_reports_draws_and_gives_the_same_numbers():
    s = som.load(SCENARIO)
    rec = Recorder()
    a = s.run(20_000, seed=5, progress=rec)
    check_calls(rec, ["draws"])
    assert rec.calls[-1] == ("draws", 20_000, 20_000)
    b = s.run(20_000, seed=5)
    assert a.summary_json() == b.summary_json()
    assert a.draws.equals(b.draws)
    # A deterministic run: one call, nothing to count.
    rec = Recorder()
    s.run(0, progress=rec)
    assert rec.calls == [("draws", 0, 0)]


def test_estimate_reports_reading_and_bootstrap_and_gives_the_same_files():
    rec = Recorder()
    a = som.estimate(STUDY, SMALL, replicates=1000, progress=rec)
    check_calls(rec, ["read", "bootstrap"])
    assert rec.calls[0] == ("read", 0, 1) and ("read", 1, 1) in rec.calls
    assert rec.calls[-1] == ("bootstrap", 1000, 1000)
    b = som.estimate(STUDY, SMALL, replicates=1000)
    assert a.files == b.files  # every file, byte for byte


def test_compare_reports_estimate_then_run():
    rec = Recorder()
    c = som.compare_municipalities("models/examples/synthetic-estimated.toml", SMALL, study=STUDY,
                                   replicates=100, draws=200, only=[751, 101], progress=rec)
    check_calls(rec, ["estimate", "run"])
    assert rec.calls[-1] == ("run", 2, 2)
    d = som.compare_municipalities("models/examples/synthetic-estimated.toml", SMALL, study=STUDY,
                                   replicates=100, draws=200, only=[751, 101])
    assert c.files == d.files


class Stop(Exception):
    pass


def raise_at(n: int, exc=Stop):
    calls = []

    def cb(step, done, total):
        calls.append((step, done, total))
        if len(calls) >= n:
            raise exc(f"stopped at {step} {done}/{total}")

    cb.calls = calls
    return cb


def test_a_raising_callback_stops_the_run_and_its_exception_comes_out():
    s = som.load(SCENARIO)
    cb = raise_at(1)
    # A million draws would take minutes in a debug build; stopped, the call returns at once.
    with pytest.raises(Stop, match="stopped at draws 0/1000000"):
        s.run(1_000_000, progress=cb)
    assert len(cb.calls) == 1
    # The package is fine afterwards: the same numbers as before.
    assert s.run(300, seed=2).summary_json() == s.run(300, seed=2, progress=lambda *a: None).summary_json()

    cb = raise_at(3)  # read 0/1, read 1/1, bootstrap 0/100000: stop
    with pytest.raises(Stop, match="bootstrap 0/100000"):
        som.estimate(STUDY, SMALL, replicates=100_000, progress=cb)

    cb = raise_at(1, KeyboardInterrupt)  # what Ctrl-C raises inside the callback
    with pytest.raises(KeyboardInterrupt):
        s.run(1_000_000, progress=cb)


def test_a_stopped_comparison_writes_nothing(tmp_path):
    out = tmp_path / "cmp"
    with pytest.raises(Stop):
        som.compare_municipalities(SCENARIO, draws=200, out=out, progress=raise_at(1))
    assert not out.exists()


def test_progress_calls_hold_the_gil_only_briefly():
    """The engine works without the GIL while the callback waits: another thread runs."""
    s = som.load(SCENARIO)
    ticks = 0
    done = threading.Event()

    def work():
        s.run(20_000, seed=5, progress=lambda *a: None)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        ticks += 1
        threading.Event().wait(0.001)
    t.join()
    assert ticks > 5, ticks
