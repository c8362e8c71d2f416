"""Type stubs of the extension module `som._som` (the Rust engine). Use the package `som`."""

from typing import Any, Callable

__version__: str

Progress = Callable[[str, int, int], Any]

class SomError(Exception):
    """Invalid input (file, line, field) or a file that cannot be read or written."""

    diagnostics: list[dict[str, Any]]

class ArrowStream:
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class RunResult:
    n_draws: int
    def summary_json(self) -> str: ...
    def ledger(self) -> ArrowStream: ...
    def draws(self) -> ArrowStream | None: ...
    def write(
        self,
        out: str,
        keep_draws: bool = False,
        charts: bool = True,
        workbook: bool = True,
        lang: str = "en",
    ) -> None: ...

class Scenario:
    name: str
    source_name: str
    toml: str
    @staticmethod
    def load(path: str) -> Scenario: ...
    @staticmethod
    def from_toml(text: str, name: str = "<string>", base_dir: str = ".") -> Scenario: ...
    def inputs_json(self) -> str: ...
    def with_inputs(self, overrides: dict[str, Any]) -> Scenario: ...
    def run(
        self,
        draws: int | None = None,
        seed: int = 1,
        payback_within: int = 4,
        switch: list[str] = ...,
        progress: Progress | None = None,
    ) -> RunResult: ...

def scenario_schema() -> str: ...

def estimate(
    study: str,
    cases: list[str] = ...,
    replicates: int | None = None,
    seed: int | None = None,
    disclosure_threshold: int = 5,
    period_from: str | None = None,
    period_to: str | None = None,
    progress: Progress | None = None,
) -> dict[str, bytes]: ...
def check(cases: list[str], disclosure_threshold: int = 5) -> str: ...

class Comparison:
    has_study: bool
    def __init__(
        self,
        scenario: str,
        cases: list[str] = ...,
        study: str | None = None,
        list: str | None = None,
        only: list[int] = ...,
        reference_population: float | None = None,
        reference: int | None = None,
        draws: int = 10_000,
        seed: int = 1,
        replicates: int | None = None,
        payback_within: int = 4,
        disclosure_threshold: int = 5,
    ) -> None: ...
    def codes(self) -> list[int]: ...
    def inputs_json(self) -> str: ...
    def run(
        self,
        out: str | None = None,
        lang: str = "en",
        keep_draws: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, bytes]: ...
    def estimate_one(
        self, code: int, cases: list[str], named: str | None = None
    ) -> dict[str, Any]: ...
    def reference_participants(self, estimates: dict[int, dict[str, Any]]) -> float | None: ...
    def run_one(
        self, code: int, estimate: dict[str, Any] | None, reference_participants: float | None
    ) -> bytes: ...
    def merge(
        self,
        outcomes: list[bytes],
        out: str,
        lang: str = "en",
        keep_draws: bool = False,
        case_inputs: list[tuple[str, str, str]] = ...,
    ) -> str: ...
