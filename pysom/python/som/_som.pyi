"""Type stubs of the extension module `som._som` (the Rust engine). Use the package `som`."""

from typing import Any

__version__: str

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
    ) -> RunResult: ...

def scenario_schema() -> str: ...
