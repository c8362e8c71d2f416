"""A municipality comparison on a Dask cluster: one task per municipality.

The comparison is ``som municipalities`` taken apart at its seams (the engine's
``municipalities::national`` and ``run_one`` / ``merge``):

1. **estimate** (with a study): each municipality's effects from its own partition of the case
   data, ``<cases>/municipality=<code>/`` (write one with :func:`partition`), on a worker;
2. **run**: each municipality's scenario, draws and base values, on a worker;
3. **merge**: ranks, regions summed draw by draw, the spread, and the files, on the client.

Every municipality draws from the same seed, so the result is byte-identical to
``som municipalities`` on the same data; its ``manifest.json`` records the inputs' SHA-256 as
that command's does, every partition file read (hashed by its worker while reading it) in place
of the national files. Only aggregates leave a worker (estimates, bootstrap
replicates, a row, the draws of its total NPV); workers read their partition from storage they
share with the client. Each finished step of a municipality is kept in ``<out>.parts/`` (written
atomically); a rerun skips what is there, and a municipality that fails is reported while the
others go on. What is kept is only reused for the same run: ``<out>.parts/fingerprint.json``
holds the SHA-256 of the options, the cases folder, som's version and every other input
(scenario, catalogues, list, study), and when they differ the kept steps are discarded; a
municipality whose partition files are not the ones its kept estimate read (by SHA-256, files
added or removed included) is estimated again, and when that changes the reference
participants every municipality is run again (docs/scale-out.md).

>>> from som.dask import compare          # doctest: +SKIP
>>> from distributed import Client        # doctest: +SKIP
>>> r = compare("models/families-one-plan.toml", "my-cases-by-municipality", "results/dk",
...             study="models/studies/synthetic-all-segments.toml",
...             client=Client("tcp://scheduler:8786"))          # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from . import SomError, _som

__all__ = ["compare", "partition", "DaskRun"]


@dataclass
class DaskRun:
    """What a run did: where the comparison is (when complete), which municipalities were
    computed now and which were found done, and which failed (code → error)."""

    out: Path
    complete: bool
    computed: dict[str, list[int]] = field(default_factory=dict)
    skipped: dict[str, list[int]] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    markdown: str | None = None
    #: Why the steps kept in ``<out>.parts/`` were not reused, when they were not: the run's
    #: options or inputs changed (``"inputs"``), or the codes of municipalities whose partition
    #: changed since their estimate (``"partitions"``).
    discarded: dict[str, Any] = field(default_factory=dict)


def partition(cases: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Split case data (a folder with persons / services / states as Parquet, and its
    ``dataset.toml``) into hive-style partitions ``out/municipality=<code>/``, each with the
    same ``dataset.toml`` (so every partition declares the whole data's period). Rows keep their
    order. The large tables are streamed: one municipality's rows are in memory at a time."""
    import polars as pl

    cases, out = Path(cases), Path(out)
    spec = (cases / "dataset.toml").read_text(encoding="utf-8") if (cases / "dataset.toml").exists() else None
    persons = pl.read_parquet(cases / "persons.parquet")
    who = persons.select("person_id", "municipality").lazy()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    codes = sorted(persons["municipality"].unique().to_list())
    for (code,), part in persons.partition_by("municipality", as_dict=True, maintain_order=True).items():
        d = tmp / f"municipality={code}"
        d.mkdir()
        part.write_parquet(d / "persons.parquet")
        if spec is not None:
            (d / "dataset.toml").write_text(spec, encoding="utf-8")
    del persons
    for t in ("services", "states"):
        path = cases / f"{t}.parquet"
        if not path.exists():
            continue
        # Where each municipality's rows are (streamed): contiguous ranges are sliced out, else
        # each municipality's rows are filtered out in a streaming scan.
        spans = (
            pl.scan_parquet(path).select("person_id").with_row_index("row")
            .join(who, on="person_id", how="inner")
            .group_by("municipality")
            .agg(pl.col("row").min().alias("first"), pl.col("row").max().alias("last"), pl.len().alias("n"))
            .collect(engine="streaming")
        )
        for code, first, last, n in spans.iter_rows():
            target = tmp / f"municipality={code}" / f"{t}.parquet"
            scan = pl.scan_parquet(path)
            if last - first + 1 == n:
                part = scan.slice(first, n)
            else:
                ids = who.filter(pl.col("municipality") == code).select("person_id")
                part = scan.join(ids, on="person_id", how="semi", maintain_order="left")
            part.sink_parquet(target)
        for code in codes:  # a municipality without rows in this table: an empty table
            target = tmp / f"municipality={code}" / f"{t}.parquet"
            if not target.exists():
                pl.scan_parquet(path).head(0).sink_parquet(target)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


# --- On the workers ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _plan(spec_json: str, fingerprint: str) -> Any:
    """The comparison, read once per worker and run: `fingerprint` (the options and the
    SHA-256 of every input) is part of the key, so that a worker reads the inputs again when
    they changed."""
    return _som.Comparison(**json.loads(spec_json))


def _estimate_task(spec_json: str, fingerprint: str, code: int, paths: list[str],
                   named: str) -> dict[str, Any]:
    # The partition's files as they are before they are read: a file added while it is read
    # makes the next run estimate it again.
    listing = _listing(Path(paths[0])) if paths else []
    est = _plan(spec_json, fingerprint).estimate_one(code, paths, named=named)
    est["listing"] = listing
    return est


def _run_task(spec_json: str, fingerprint: str, code: int, est: dict | None,
              ref: float | None) -> bytes:
    return _plan(spec_json, fingerprint).run_one(code, est, ref)


# --- On the client ----------------------------------------------------------------------------


def _atomic_dir(target: Path, files: dict[str, bytes]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    for name, b in files.items():
        (tmp / name).write_bytes(b)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def _save_est(parts: Path, code: int, est: dict) -> None:
    meta = {k: v for k, v in est.items() if k not in ("estimates", "bootstrap")}
    files = {"meta.json": json.dumps(meta).encode()}
    if est.get("estimates") is not None:
        files["estimates.json"] = est["estimates"]
    if est.get("bootstrap") is not None:
        files["bootstrap.parquet"] = est["bootstrap"]
    _atomic_dir(parts / f"estimate-{code}", files)


def _load_est(parts: Path, code: int) -> dict | None:
    d = parts / f"estimate-{code}"
    if not (d / "meta.json").exists():
        return None
    est = json.loads((d / "meta.json").read_text())
    if "inputs" not in est:  # kept by an earlier version, without the files' hashes: redo
        return None
    if (d / "estimates.json").exists():
        est["estimates"] = (d / "estimates.json").read_bytes()
    est["bootstrap"] = (d / "bootstrap.parquet").read_bytes() if (d / "bootstrap.parquet").exists() else None
    return est


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(functools.partial(f.read, 1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _listing(folder: Path) -> list[str]:
    """The names of the files in a partition folder."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _same_partition(est: dict, folder: Path) -> bool:
    """Whether the partition ``folder`` holds the files it held when ``est`` was estimated from
    it (by name: none added or removed), and the files the estimate read are in it with the
    same bytes."""
    here = os.path.abspath(folder)
    return est.get("listing") == _listing(folder) and all(
        os.path.dirname(os.path.abspath(path)) == here
        and Path(path).is_file() and _sha256(Path(path)) == sha
        for _role, path, sha in est["inputs"]
    )


def _fresh_reference(parts: Path, ref: float | None) -> bool:
    """Keep the runs in ``parts`` when they were made against the reference ``ref``; else delete
    them. Whether any was deleted."""
    stamp = parts / "reference.json"
    now = json.dumps({"reference_participants": ref})
    if stamp.exists() and stamp.read_text() == now:
        return False
    emptied = False
    for p in parts.glob("outcome-*.bin"):
        p.unlink()
        emptied = True
    _write_atomic(stamp, now.encode())
    return emptied


def _fresh_parts(parts: Path, fingerprint: str) -> bool:
    """Keep ``parts`` when it was made with ``fingerprint``; else empty it. Whether it was
    emptied."""
    stamp = parts / "fingerprint.json"
    kept = json.loads(stamp.read_text()).get("fingerprint") if stamp.exists() else None
    emptied = False
    if kept != fingerprint:
        for p in parts.iterdir():
            if p.name.startswith(("estimate-", "outcome-")) or p.name in ("status.json",
                                                                       "reference.json"):
                emptied = True
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        _write_atomic(stamp, json.dumps({"fingerprint": fingerprint}).encode())
    return emptied


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (a temporary file beside it, renamed)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)


def _save_outcome(parts: Path, code: int, b: bytes) -> None:
    _write_atomic(parts / f"outcome-{code}.bin", b)


def _client(client: Any) -> Any:
    from distributed import Client

    if client is None:
        return Client(processes=True, dashboard_address=None)
    if isinstance(client, str):
        return Client(client)
    return client


def compare(
    scenario: str | os.PathLike,
    cases: str | os.PathLike | None,
    out: str | os.PathLike,
    *,
    study: str | os.PathLike | None = None,
    client: Any = None,
    list: str | os.PathLike | None = None,
    only: Sequence[int] = (),
    reference_population: float | None = None,
    reference: int | None = None,
    draws: int = 10_000,
    seed: int = 1,
    replicates: int | None = None,
    payback_within: int = 4,
    disclosure_threshold: int = 5,
    lang: str = "en",
    keep_draws: bool = False,
    retries: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
    stop_after: int | None = None,
) -> DaskRun:
    """Run ``som municipalities`` on a Dask cluster: ``client`` is a ``distributed.Client``, a
    scheduler address, or None for a local cluster. ``cases`` holds the partitions
    ``municipality=<code>/`` (see :func:`partition`). Writes the comparison to ``out`` when
    every municipality is done; ``<out>.parts/`` keeps each municipality's finished steps.
    ``progress(step, done, total)`` is called as municipalities finish; ``stop_after`` stops
    after that many new tasks (to try a restart)."""
    out = Path(out)
    parts = out.parent / (out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    spec = dict(
        scenario=os.path.abspath(scenario),
        cases=[],
        study=None if study is None else os.path.abspath(study),
        list=None if list is None else os.path.abspath(list),
        only=[int(c) for c in only],
        reference_population=reference_population,
        reference=reference,
        draws=draws,
        seed=seed,
        replicates=replicates,
        payback_within=payback_within,
        disclosure_threshold=disclosure_threshold,
    )
    spec_json = json.dumps(spec, sort_keys=True)
    # Read afresh on every call (a notebook may have edited an input since the last one).
    plan = _som.Comparison(**spec)
    codes = plan.codes()
    # What the steps kept in <out>.parts/ must have been made with: the options, the case
    # data's folder, som's version and every other input's SHA-256.
    fingerprint = hashlib.sha256("\n".join([
        spec_json,
        "cases=" + ("" if cases is None else os.path.abspath(cases)),
        "version=" + _som.__version__,
        plan.inputs_json(),
    ]).encode()).hexdigest()
    run = DaskRun(out=out, complete=False)
    budget = [stop_after]

    def spend() -> bool:
        if budget[0] is None:
            return True
        if budget[0] <= 0:
            return False
        budget[0] -= 1
        return True

    c = _client(client)
    from distributed import as_completed

    def step(name: str, todo: dict[int, tuple], fn: Callable, save: Callable) -> None:
        futures = {}
        for code, args in todo.items():
            if not spend():
                break
            f = c.submit(fn, spec_json, fingerprint, code, *args,
                         key=f"som-{name}-{code}-{fingerprint[:12]}", retries=retries, pure=False)
            futures[f] = code
        run.computed[name] = []
        done = 0
        for f in as_completed(futures):
            code = futures[f]
            try:
                save(code, f.result())
                run.computed[name].append(code)
            except Exception as e:  # noqa: BLE001 — reported, not fatal to the others
                run.failed[code] = f"{type(e).__name__}: {e}"
            done += 1
            if progress:
                progress(name, done, len(futures))

    if _fresh_parts(parts, fingerprint):
        run.discarded["inputs"] = "the options or an input (scenario, catalogues, list, study) changed"
    ests: dict[int, dict | None] = {code: None for code in codes}
    if plan.has_study:
        if cases is None:
            raise SomError("cases: name the folder of partitions municipality=<code>/")
        root = Path(cases)
        if not any(root.glob("municipality=*")):
            raise SomError(
                f"cases: no partition municipality=<code>/ in {os.fspath(root)} that this client "
                "can see; the client lists and checks the partitions its workers read "
                "(docs/scale-out.md), and som.dask.partition writes them"
            )
        todo, run.skipped["estimate"] = {}, []
        for code in codes:
            d = root / f"municipality={code}"
            e = _load_est(parts, code)
            if e is not None and not _same_partition(e, d):
                run.discarded.setdefault("partitions", []).append(code)
                e = None
            if e is not None:
                ests[code] = e
                run.skipped["estimate"].append(code)
            else:
                # Its run, if kept, came from the estimate being replaced.
                (parts / f"outcome-{code}.bin").unlink(missing_ok=True)
                todo[code] = ([os.path.abspath(d)] if d.is_dir() else [], os.fspath(d))
        def keep(code: int, e: dict) -> None:
            _save_est(parts, code, e)
            ests[code] = e

        step("estimate", todo, _estimate_task, keep)
        if any(ests[c] is None for c in codes):
            run.markdown = None
            _report(parts, run)
            return run
    ref = plan.reference_participants({c: e for c, e in ests.items() if e is not None})
    # Every municipality's cohort is sized against the reference: runs kept from another
    # reference (one municipality's partition changed its participants) are run again.
    if _fresh_reference(parts, ref):
        run.discarded["reference"] = "the reference participants changed"
    todo, run.skipped["run"] = {}, []
    for code in codes:
        if (parts / f"outcome-{code}.bin").exists():
            run.skipped["run"].append(code)
        else:
            todo[code] = (ests[code], ref)
    step("run", todo, _run_task, lambda code, b: _save_outcome(parts, code, b))
    missing = [code for code in codes if not (parts / f"outcome-{code}.bin").exists()]
    if missing:
        _report(parts, run)
        return run
    outcomes = [(parts / f"outcome-{code}.bin").read_bytes() for code in codes]
    # The manifest records every partition file the estimations read, with the SHA-256 its
    # worker computed while reading it, as `som municipalities` records the national files.
    case_inputs = [tuple(i) for code in codes if ests[code] is not None for i in ests[code]["inputs"]]
    run.markdown = plan.merge(outcomes, os.fspath(out), lang=lang, keep_draws=keep_draws,
                              case_inputs=case_inputs)
    run.complete = True
    _report(parts, run)
    return run


def _report(parts: Path, run: DaskRun) -> None:
    (parts / "status.json").write_text(
        json.dumps(
            {
                "complete": run.complete,
                "computed": run.computed,
                "skipped": run.skipped,
                "failed": {str(k): v for k, v in run.failed.items()},
                "discarded": run.discarded,
            },
            indent=2,
        )
    )
