"""som — socioeconomic investment analysis of social interventions, for notebooks.

The engine of the ``som`` command line as a Python package: load and validate a scenario, change
its inputs, run it at base values or over Monte Carlo draws, and get the results as polars data
frames (handed over through the Arrow C stream interface, without copying row by row) and the
summary as a dict.

>>> import som
>>> s = som.load("models/families-one-plan.toml")
>>> r = s.run(draws=0)
>>> round(r.summary["total"]["npv"]) == round(r.npv)
True
>>> r.ledger.columns[:3]
['year', 'calendar_year', 'arm']

Errors are :class:`SomError`, with the command line's message and ``.diagnostics``:

>>> try:
...     som.loads('name = "x"\\nhorizon = "ten"')
... except som.SomError as e:
...     print(e.diagnostics[0]["line"], e.diagnostics[0]["field"])
2 horizon
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import polars as pl

from . import _som
from ._som import SomError

__version__: str = _som.__version__

__all__ = [
    "SomError",
    "Scenario",
    "Run",
    "load",
    "loads",
    "frame",
    "scenario_schema",
    "estimate",
    "check",
    "Estimates",
    "compare_municipalities",
    "Comparison",
    "Progress",
    "__version__",
]


Progress = Callable[[str, int, int], Any]
"""A progress callback, ``progress(step, done, total)``, for the long calls (:meth:`Scenario.run`
with draws, :func:`estimate`, :func:`compare_municipalities`; :func:`som.dask.compare` calls
its own once per municipality finished).

It is called from the thread that made the call, holding the GIL, while the engine works in its
own thread without it: when a step starts (``done == 0``), each time another twentieth of the
step is done, and with ``done == total`` when the step ends — about 20 calls a step, never two
with the same arguments, ``done`` increasing within a step. The engine prints nothing; the
numbers are the same with or without a callback.

If the callback raises (or Ctrl-C raises ``KeyboardInterrupt`` while the call waits), the run is
**stopped**: the engine skips the work not yet started (the next chunk of 256 draws, batch of 32
bootstrap replicates, or municipality; reading the case data and matching are not interrupted),
nothing is returned or written, and the callback's exception is raised as it is.
"""


def frame(stream: Any) -> pl.DataFrame:
    """A polars frame from an object with ``__arrow_c_stream__`` (zero-copy)."""
    return pl.DataFrame(stream)


class Run:
    """The result of :meth:`Scenario.run`: the summary (as ``summary.json`` holds it), the
    ledger and, with draws, the per-draw metrics as polars frames.

    >>> r = load("models/families-one-plan.toml").run(draws=200, seed=7)
    >>> r.draws.height
    200
    >>> 0.0 <= r.summary["uncertainty"]["total"]["p_npv_positive"] <= 1.0
    True
    """

    def __init__(self, inner: Any):
        self._inner = inner
        self._summary: dict | None = None
        self._ledger: pl.DataFrame | None = None
        self._draws: pl.DataFrame | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The summary as a dict (the content of ``summary.json``)."""
        if self._summary is None:
            self._summary = json.loads(self._inner.summary_json())
        return self._summary

    def summary_json(self) -> str:
        """``summary.json`` as text, byte for byte what ``som run`` writes."""
        return self._inner.summary_json()

    @property
    def ledger(self) -> pl.DataFrame:
        """Flows at base values by year, arm, actor, department and item."""
        if self._ledger is None:
            self._ledger = frame(self._inner.ledger())
        return self._ledger

    @property
    def draws(self) -> pl.DataFrame | None:
        """Per-draw metrics (NPV, costs, benefits, BCR, payback, by actor and department, and
        every drawn input), or None for a deterministic run."""
        if self._draws is None:
            s = self._inner.draws()
            if s is None:
                return None
            self._draws = frame(s)
        return self._draws

    @property
    def n_draws(self) -> int:
        return self._inner.n_draws

    @property
    def npv(self) -> float:
        """Total NPV at base values."""
        return self.summary["total"]["npv"]

    def write(
        self,
        out: str | os.PathLike,
        *,
        keep_draws: bool = False,
        charts: bool = True,
        workbook: bool = True,
        lang: str = "en",
    ) -> Path:
        """Write the files of ``som run`` (summary.json, ledger.parquet, report.html, …) to
        ``out``; the same bytes as the command line with the same options."""
        self._inner.write(
            os.fspath(out), keep_draws=keep_draws, charts=charts, workbook=workbook, lang=lang
        )
        return Path(out)

    def __repr__(self) -> str:
        return f"<som.Run {self.summary['scenario']['name']!r}: NPV {self.npv:,.0f}, {self.n_draws} draws>"


class Scenario:
    """A validated scenario. Make one with :func:`load` or :func:`loads`.

    >>> s = load("models/families-one-plan.toml")
    >>> t = s.with_inputs({"success.with": 0.5})
    >>> t.run(draws=0).npv > s.run(draws=0).npv
    True
    """

    def __init__(self, inner: Any):
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def toml(self) -> str:
        """The scenario's TOML text (with overrides applied)."""
        return self._inner.toml

    @property
    def inputs(self) -> pl.DataFrame:
        """Every numeric input by field path (``name``), with its base value and whether it is
        uncertain."""
        rows = json.loads(self._inner.inputs_json())
        return pl.DataFrame(
            {
                "name": [r["name"] for r in rows],
                "value": [float(r["value"]) for r in rows],
                "uncertain": [r.get("dist") is not None for r in rows],
            }
        )

    def with_inputs(self, overrides: Mapping[str, Any] | None = None, **kw: Any) -> "Scenario":
        """A copy with fields replaced by their path (``"success.with"``,
        ``"cohort[0].participants"``, ``"discounting.rate"``); a number fixes an uncertain input
        (and drops the ``[[correlation]]`` pairs that name it), a dict gives a distribution (``{"dist": "normal", "mean": 0.3, "sd": 0.05}``). The result
        is validated again: an unknown field raises :class:`SomError`."""
        o = dict(overrides or {})
        o.update(kw)
        return Scenario(self._inner.with_inputs(o))

    def run(
        self,
        draws: int | None = None,
        *,
        seed: int = 1,
        payback_within: int = 4,
        switch: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> Run:
        """Run at base values and over ``draws`` Monte Carlo draws (default: 10,000 when the
        scenario has uncertain inputs, else none, as ``som run``). Releases the GIL.

        ``progress(step, done, total)`` is called from the calling thread with step
        ``"draws"`` and the draws done: when the draws start, each time another twentieth is
        done, and last with ``done == total`` (see :data:`Progress`). The numbers are the same
        with or without it.

        >>> calls = []
        >>> r = load("models/families-one-plan.toml").run(
        ...     draws=2000, progress=lambda step, done, total: calls.append((step, done, total)))
        >>> calls[0], calls[-1]
        (('draws', 0, 2000), ('draws', 2000, 2000))
        """
        return Run(
            self._inner.run(
                draws=draws,
                seed=seed,
                payback_within=payback_within,
                switch=list(switch),
                progress=progress,
            )
        )

    def __repr__(self) -> str:
        return f"<som.Scenario {self.name!r}>"


def load(path: str | os.PathLike) -> Scenario:
    """Load and validate a scenario file (TOML); relative catalogue paths are read from its
    folder. Raises :class:`SomError` naming file, line and field."""
    return Scenario(_som.Scenario.load(os.fspath(path)))


def loads(
    text: str, *, name: str = "<string>", base_dir: str | os.PathLike = "."
) -> Scenario:
    """Load and validate a scenario given as TOML text."""
    return Scenario(_som.Scenario.from_toml(text, name=name, base_dir=os.fspath(base_dir)))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    return json.loads(_som.scenario_schema())


# --- Case data, estimation, municipalities ---------------------------------------------------

_TABLES = ("persons", "services", "states")


class _Cases:
    """Case data as paths for the engine: paths as they are; polars frames written to Parquet in
    a private temporary folder first (removed afterwards), so that they are read, checked and
    reported exactly like files."""

    def __init__(self, cases: Any):
        self._tmp = None
        if cases is None:
            self.paths: list[str] = []
        elif isinstance(cases, Mapping):
            import tempfile

            unknown = set(cases) - set(_TABLES)
            if unknown:
                raise SomError(
                    f"case data: unknown table(s) {sorted(unknown)}; expected persons, services "
                    "and optionally states"
                )
            self._tmp = tempfile.TemporaryDirectory(prefix="som-cases-")
            for name, df in cases.items():
                target = Path(self._tmp.name) / f"{name}.parquet"
                if isinstance(df, (str, os.PathLike)):
                    import shutil

                    shutil.copyfile(df, target)
                    continue
                if isinstance(df, pl.LazyFrame):
                    df = df.collect()
                if not isinstance(df, pl.DataFrame):
                    df = pl.DataFrame(df)
                df.write_parquet(target)
            self.paths = [self._tmp.name]
        elif isinstance(cases, (str, os.PathLike)):
            self.paths = [os.fspath(cases)]
        else:
            self.paths = [os.fspath(c) for c in cases]

    def __enter__(self) -> list[str]:
        return self.paths

    def __exit__(self, *exc: Any) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _read_csv(b: bytes) -> pl.DataFrame:
    import io

    return pl.read_csv(io.BytesIO(b), infer_schema_length=None)


class Estimates:
    """What :func:`estimate` found: ``summary`` (estimates.json as a dict) and the tables
    ``effects``, ``baseline``, ``balance``, ``transitions``, ``bootstrap`` as polars frames. All
    aggregates; cells below the disclosure threshold are suppressed."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.summary: dict[str, Any] = json.loads(files["estimates.json"])

    def _table(self, name: str) -> pl.DataFrame | None:
        b = self.files.get(name)
        if b is None:
            return None
        if name.endswith(".parquet"):
            import io

            return pl.read_parquet(io.BytesIO(b))
        return _read_csv(b)

    @property
    def effects(self) -> pl.DataFrame:
        return self._table("effects.csv")

    @property
    def baseline(self) -> pl.DataFrame | None:
        return self._table("baseline.csv")

    @property
    def balance(self) -> pl.DataFrame | None:
        return self._table("balance.csv")

    @property
    def transitions(self) -> pl.DataFrame | None:
        return self._table("transitions.csv")

    @property
    def bootstrap(self) -> pl.DataFrame | None:
        return self._table("bootstrap.parquet")

    def write(self, out: str | os.PathLike) -> Path:
        """Write the files (estimates.json, effects.csv, …, bootstrap.parquet) to ``out``, for
        a scenario's ``[estimates]``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name, b in self.files.items():
            (out / name).write_bytes(b)
        return out


def estimate(
    study: str | os.PathLike,
    cases: Any = None,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    disclosure_threshold: int = 5,
    progress: Progress | None = None,
) -> Estimates:
    """Run a study (``som estimate``) on case data: a folder or files (CSV, Parquet, Excel), or
    polars frames ``{"persons": df, "services": df, "states": df}``; default: the study's
    ``cases``. Bad data raise :class:`SomError` naming table, row and column. Releases the GIL.

    >>> e = estimate("models/studies/synthetic-all-segments.toml", replicates=100)
    >>> e.effects.filter(pl.col("department") == "total").height > 0
    True

    ``progress(step, done, total)`` (see :data:`Progress`) is called with step ``"read"`` (0 of
    1 while the case data are read and checked, 1 of 1 when they are) and then
    ``"bootstrap"`` (the replicates drawn, after the propensity score and matching):

    >>> calls = []
    >>> e = estimate("models/studies/synthetic-all-segments.toml", replicates=200,
    ...              progress=lambda step, done, total: calls.append((step, done, total)))
    >>> calls[0], calls[-1]
    (('read', 0, 1), ('bootstrap', 200, 200))
    """
    with _Cases(cases) as paths:
        files = _som.estimate(
            os.fspath(study),
            cases=paths,
            replicates=replicates,
            seed=seed,
            disclosure_threshold=disclosure_threshold,
            progress=progress,
        )
    return Estimates(files)


def check(cases: Any, *, disclosure_threshold: int = 5) -> dict[str, Any]:
    """Read and validate case data (``som check``); the data-quality report as a dict."""
    with _Cases(cases) as paths:
        return json.loads(_som.check(paths, disclosure_threshold=disclosure_threshold))


class Comparison:
    """The result of :func:`compare_municipalities`: ``rows`` (one per municipality, ranked),
    ``regions``, ``summary`` (municipalities.json as a dict) and ``files`` (name → bytes)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.summary: dict[str, Any] = json.loads(files["municipalities.json"])

    @property
    def rows(self) -> pl.DataFrame:
        return _read_csv(self.files["municipalities.csv"])

    @property
    def regions(self) -> pl.DataFrame:
        return _read_csv(self.files["regions.csv"])

    @property
    def draws(self) -> pl.DataFrame | None:
        b = self.files.get("draws.parquet")
        if b is None:
            return None
        import io

        return pl.read_parquet(io.BytesIO(b))

    def markdown(self) -> str:
        return self.files["municipalities.md"].decode()


def compare_municipalities(
    scenario: str | os.PathLike,
    cases: Any = None,
    *,
    study: str | os.PathLike | None = None,
    list: str | os.PathLike | None = None,
    only: Sequence[int] = (),
    reference_population: float | None = None,
    reference: int | None = None,
    draws: int = 10_000,
    seed: int = 1,
    replicates: int | None = None,
    payback_within: int = 4,
    disclosure_threshold: int = 5,
    out: str | os.PathLike | None = None,
    lang: str = "en",
    keep_draws: bool = False,
    progress: Progress | None = None,
) -> Comparison:
    """One scenario over many municipalities (``som municipalities``), on this machine; the same
    files, byte for byte, written to ``out`` when given. ``progress(step, done, total)`` (see
    :data:`Progress`) is called as municipalities are estimated (step ``estimate``, with a
    study) and run (``run``). For a cluster, see :mod:`som.dask`.

    >>> c = compare_municipalities("models/families-one-plan.toml", only=[101, 751], draws=200)
    >>> sorted(c.rows["code"].to_list())
    [101, 751]
    """
    with _Cases(cases) as paths:
        plan = _som.Comparison(
            os.fspath(scenario),
            cases=paths,
            study=None if study is None else os.fspath(study),
            list=None if list is None else os.fspath(list),
            only=[int(c) for c in only],
            reference_population=reference_population,
            reference=reference,
            draws=draws,
            seed=seed,
            replicates=replicates,
            payback_within=payback_within,
            disclosure_threshold=disclosure_threshold,
        )
        files = plan.run(
            out=None if out is None else os.fspath(out),
            lang=lang,
            keep_draws=keep_draws,
            progress=progress,
        )
    return Comparison(files)
