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
from typing import Any, Mapping, Sequence

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
    "__version__",
]


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
        ``"cohort[0].participants"``, ``"discounting.rate"``); a number fixes an uncertain input,
        a dict gives a distribution (``{"dist": "normal", "mean": 0.3, "sd": 0.05}``). The result
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
    ) -> Run:
        """Run at base values and over ``draws`` Monte Carlo draws (default: 10,000 when the
        scenario has uncertain inputs, else none, as ``som run``). Releases the GIL."""
        return Run(
            self._inner.run(
                draws=draws, seed=seed, payback_within=payback_within, switch=list(switch)
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
