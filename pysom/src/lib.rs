//! The extension module `som._som`: som's engine for Python. The Python package `som`
//! (`pysom/python/som`) wraps it; read its docstrings and `__init__.pyi` for the API.
//!
//! - Errors of the engine become `som.SomError` with the command line's message and a
//!   `.diagnostics` list; a panic inside the engine becomes `SomError` too, never an abort.
//! - Long runs release the GIL.
//! - Tables leave as Arrow C streams (`__arrow_c_stream__`, the Arrow PyCapsule interface):
//!   polars takes the buffers over without copying row by row.

use engine::Error;
use polars::prelude::{CompatLevel, DataFrame};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{ArrowArrayStream, export_iterator};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyCapsule, PyDict, PyFloat, PyInt, PyList, PyString};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

pyo3::create_exception!(
    _som,
    SomError,
    pyo3::exceptions::PyException,
    "An error of som: invalid input (with file, line, field), a file that cannot be read or \
     written. `str(e)` is the command line's message; `e.diagnostics` lists every problem as a \
     dict with file, line, column, field, row and message."
);

/// An engine error as `SomError`, with its diagnostics.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let err = SomError::new_err(e.to_string());
    let list = PyList::empty(py);
    for d in e.diagnostics() {
        let x = PyDict::new(py);
        let _ = x.set_item("file", &d.file);
        let _ = x.set_item("line", d.line);
        let _ = x.set_item("column", d.column);
        let _ = x.set_item("field", &d.field);
        let _ = x.set_item("row", d.row);
        let _ = x.set_item("message", &d.message);
        let _ = list.append(x);
    }
    let _ = err.value(py).setattr("diagnostics", list);
    err
}

/// A diagnostic-free error of the Python side (a bad argument), as `SomError`.
fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![engine::Diagnostic {
        file: "python".into(),
        line: None,
        column: None,
        field: field.into(),
        row: None,
        message: message.into(),
    }])
}

/// Run `f` without the GIL; an engine error becomes `SomError`, and so does a panic.
fn guarded<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    let r = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(py, e)),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            Err(SomError::new_err(format!(
                "internal error in som (please report it): {what}"
            )))
        }
    }
}

/// Why engine work failed, without the GIL at hand.
enum Outcome {
    Engine(Error),
    Panic(String),
}

/// Run `f` catching panics, for work done without the GIL.
fn guarded_plain<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Outcome> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Outcome::Engine(e)),
        Err(p) => Err(Outcome::Panic(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into()),
        )),
    }
}

/// How often the engine's counters are looked at while a callback waits for progress.
const PROGRESS_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Calls of a progress callback per step, at most (plus the step's start).
const PROGRESS_STEPS: usize = 20;

/// What a progress callback has been told, so that it is told each step from its start
/// (`done == 0`), about every twentieth of it, and to its end (`done == total`), never twice the
/// same.
struct Reporter<'a, 'py> {
    cb: &'a Bound<'py, PyAny>,
    last: Option<(&'static str, usize, usize)>,
    bucket: Option<(&'static str, usize)>,
}

impl Reporter<'_, '_> {
    fn call(&mut self, now: (&'static str, usize, usize)) -> PyResult<()> {
        if self.last != Some(now) {
            self.last = Some(now);
            self.cb.call1(now)?;
        }
        Ok(())
    }

    /// Report the counters as they are now: when the step or its twentieth changed, or always
    /// (`force`, the final call).
    fn observe(&mut self, now: (&'static str, usize, usize), force: bool) -> PyResult<()> {
        let (step, done, total) = now;
        let bucket = (
            step,
            (done.min(total) * PROGRESS_STEPS)
                .checked_div(total)
                .unwrap_or(0),
        );
        if self.bucket == Some(bucket) && !force {
            return Ok(());
        }
        self.bucket = Some(bucket);
        let new_step = self.last.is_none_or(|(s, _, _)| s != step);
        if new_step {
            // Steps follow one another: the one before is complete.
            if let Some((s, d, t)) = self.last
                && d < t
            {
                self.call((s, t, t))?;
            }
            if done > 0 {
                self.call((step, 0, total))?;
            }
        }
        self.call(now)
    }
}

/// Run `f` without the GIL; with a `progress` callback, `f` runs in its own thread and
/// `progress(step, done, total)` is called from this thread, with the GIL, as [`Reporter`]
/// says (the last step's end after the work succeeded). `status` reads the engine's counters:
/// the current step, the units done and their total.
///
/// If the callback raises, or a signal handler does while waiting (Ctrl-C:
/// `KeyboardInterrupt`), `stop` asks the engine to stop, the engine's thread is waited for
/// without the GIL, and that exception is raised: nothing is returned.
fn with_progress<'py, T: Send>(
    py: Python<'py>,
    progress: Option<&Bound<'py, PyAny>>,
    status: &(dyn Fn() -> (&'static str, usize, usize) + Sync),
    stop: &(dyn Fn() + Sync),
    f: impl FnOnce() -> Result<T, Error> + Send,
) -> PyResult<T> {
    use std::sync::{Condvar, Mutex};
    let Some(cb) = progress else {
        return guarded(py, f);
    };
    let finished = (Mutex::new(false), Condvar::new());
    let mut reporter = Reporter {
        cb,
        last: None,
        bucket: None,
    };
    let (joined, raised) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let r = guarded_plain(f);
            let (done, cv) = &finished;
            *done.lock().unwrap_or_else(|p| p.into_inner()) = true;
            cv.notify_all();
            r
        });
        let mut raised = None;
        loop {
            if let Err(e) = reporter
                .observe(status(), false)
                .and_then(|_| py.check_signals())
            {
                raised = Some(e);
                break;
            }
            let end = py.detach(|| {
                let (done, cv) = &finished;
                let g = done.lock().unwrap_or_else(|p| p.into_inner());
                let (g, _) = cv
                    .wait_timeout_while(g, PROGRESS_POLL, |d| !*d)
                    .unwrap_or_else(|p| p.into_inner());
                *g
            });
            if end {
                break;
            }
        }
        if raised.is_some() {
            stop();
        }
        (py.detach(|| h.join()), raised)
    });
    if let Some(e) = raised {
        return Err(e);
    }
    match joined {
        Ok(Ok(v)) => {
            reporter.observe(status(), true)?;
            Ok(v)
        }
        Ok(Err(Outcome::Engine(e))) => Err(to_py(py, e)),
        Ok(Err(Outcome::Panic(m))) => Err(SomError::new_err(format!(
            "internal error in som (please report it): {m}"
        ))),
        Err(_) => Err(SomError::new_err(
            "internal error in som (please report it): the engine's thread panicked",
        )),
    }
}

/// The Arrow C stream of a data frame, handed over once through `__arrow_c_stream__`.
#[pyclass(module = "som._som")]
struct ArrowStream {
    frame: Option<DataFrame>,
}

/// The capsule's pointer is the stream's address (transparent), as the interface wants.
#[repr(transparent)]
struct SendStream(#[allow(dead_code)] ArrowArrayStream);
// SAFETY: the stream owns its batches (Arc'd buffers, no thread-local state); it is released
// exactly once, by its consumer or by the capsule's destructor.
unsafe impl Send for SendStream {}

#[pymethods]
impl ArrowStream {
    /// The table as an Arrow C stream (PyCapsule `arrow_array_stream`): one struct array per
    /// chunk, sharing the frame's buffers.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &mut self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let Some(mut df) = self.frame.take() else {
            return Err(PyValueError::new_err(
                "this stream has been consumed already",
            ));
        };
        df.rechunk_mut_par();
        let fields: Vec<Field> = df
            .columns()
            .iter()
            .map(|c| c.field().to_arrow(CompatLevel::newest()))
            .collect();
        let dtype = ArrowDataType::Struct(fields);
        let height = df.height();
        let mut batches: Vec<Box<dyn Array>> = df
            .iter_chunks(CompatLevel::newest(), false)
            .map(|rb| {
                let len = rb.height();
                Box::new(StructArray::new(dtype.clone(), len, rb.into_arrays(), None))
                    as Box<dyn Array>
            })
            .collect();
        if batches.is_empty() || (height == 0 && df.width() == 0) {
            batches = vec![Box::new(StructArray::new_empty(dtype.clone()))];
        }
        let iter = Box::new(batches.into_iter().map(Ok));
        let stream = export_iterator(iter, Field::new("".into(), dtype, false));
        PyCapsule::new_with_value(py, SendStream(stream), c"arrow_array_stream")
    }
}

fn stream(df: DataFrame) -> ArrowStream {
    ArrowStream { frame: Some(df) }
}

/// A scenario, loaded and validated, with the catalogues it names.
#[pyclass(module = "som._som", frozen)]
struct Scenario {
    loaded: engine::Loaded,
    /// Where its relative references (catalogues, estimates) are read from.
    base: PathBuf,
}

/// Set `path` (`a.b[2].c`) of a TOML document to `value`.
fn set_path(doc: &mut toml::Value, path: &str, value: toml::Value) -> Result<(), String> {
    let mut steps: Vec<(String, Option<usize>)> = Vec::new();
    for part in path.split('.') {
        let (key, idx) = match part.find('[') {
            Some(i) if part.ends_with(']') => {
                let n: usize = part[i + 1..part.len() - 1]
                    .parse()
                    .map_err(|_| format!("`{part}` is not `name[index]`"))?;
                (part[..i].to_string(), Some(n))
            }
            _ => (part.to_string(), None),
        };
        if key.is_empty() {
            return Err(format!("`{path}` has an empty field name"));
        }
        steps.push((key, idx));
    }
    let mut cur = doc;
    let last = steps.len() - 1;
    for (k, (key, idx)) in steps.into_iter().enumerate() {
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("`{path}`: the field before `{key}` is not a table"))?;
        if k == last && idx.is_none() {
            table.insert(key, value);
            return Ok(());
        }
        let next = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(Default::default()));
        cur = match idx {
            None => next,
            Some(i) => {
                let arr = next
                    .as_array_mut()
                    .ok_or_else(|| format!("`{path}`: `{key}` is not a list"))?;
                let n = arr.len();
                let item = arr.get_mut(i).ok_or_else(|| {
                    format!(
                        "`{path}`: `{key}` has {n} entries (indices 0 to {})",
                        n.max(1) - 1
                    )
                })?;
                if k == last {
                    *item = value;
                    return Ok(());
                }
                item
            }
        };
    }
    Ok(())
}

/// A Python value as a TOML value (numbers, strings, booleans, lists and dicts of them).
fn to_toml(v: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, x) in d.iter() {
            t.insert(k.extract::<String>()?, to_toml(&x)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if let Ok(l) = v.cast::<PyList>() {
        return Ok(toml::Value::Array(
            l.iter().map(|x| to_toml(&x)).collect::<PyResult<_>>()?,
        ));
    }
    // numpy scalars and other numbers
    if let Ok(f) = v.extract::<f64>() {
        return Ok(toml::Value::Float(f));
    }
    Err(PyValueError::new_err(format!(
        "cannot put a {} into a scenario: give a number, string, bool, list or dict",
        v.get_type().name()?
    )))
}

#[pymethods]
impl Scenario {
    /// Load and validate a scenario file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Scenario> {
        guarded(py, || {
            let loaded = engine::load_scenario(&path)?;
            loaded.compile()?;
            Ok(Scenario {
                loaded,
                base: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            })
        })
    }

    /// Load and validate a scenario given as TOML text; `name` names it in errors, `base_dir`
    /// is where the catalogues it names are read from.
    #[staticmethod]
    #[pyo3(signature = (text, name = "<string>".to_string(), base_dir = PathBuf::from(".")))]
    fn from_toml(py: Python<'_>, text: String, name: String, base_dir: PathBuf) -> PyResult<Self> {
        guarded(py, || {
            let src = engine::source::Source::new(name, text);
            let loaded = engine::io::load_scenario_source(src, &base_dir)?;
            loaded.compile()?;
            Ok(Scenario {
                loaded,
                base: base_dir,
            })
        })
    }

    #[getter]
    fn name(&self) -> String {
        self.loaded.scenario.name.clone()
    }

    /// The file name (or the name given to `from_toml`).
    #[getter]
    fn source_name(&self) -> String {
        self.loaded.source.name.clone()
    }

    #[getter]
    fn toml(&self) -> String {
        self.loaded.source.text.clone()
    }

    /// Every numeric input (θ) with its base value and distribution, as JSON.
    fn inputs_json(&self, py: Python<'_>) -> PyResult<String> {
        guarded(py, || {
            let m = self.loaded.compile()?;
            Ok(serde_json::to_string(&m.params).unwrap_or_default())
        })
    }

    /// A copy with the fields at the given paths replaced (`{"success.with": 0.4,
    /// "cohort[0].participants": 60}`), validated again. An input set to a number is fixed, and
    /// the `[[correlation]]` pairs that name it go with its distribution.
    fn with_inputs(&self, py: Python<'_>, overrides: Bound<'_, PyDict>) -> PyResult<Scenario> {
        let mut doc: toml::Value = toml::from_str(&self.loaded.source.text)
            .map_err(|e| to_py(py, invalid("", e.to_string())))?;
        let mut fixed = Vec::new();
        for (k, v) in overrides.iter() {
            let path: String = k.extract()?;
            let value = to_toml(&v)?;
            if !value.is_table() {
                fixed.push(path.clone());
            }
            set_path(&mut doc, &path, value).map_err(|m| to_py(py, invalid(&path, m)))?;
        }
        if let Some(toml::Value::Array(pairs)) = doc.get_mut("correlation") {
            pairs.retain(|pair| {
                let named = pair.get("inputs").and_then(|i| i.as_array());
                !named.is_some_and(|i| {
                    i.iter()
                        .any(|n| fixed.iter().any(|f| n.as_str() == Some(f)))
                })
            });
        }
        let text = toml::to_string(&doc).map_err(|e| to_py(py, invalid("", e.to_string())))?;
        let name = if self.loaded.source.name.ends_with("(with overrides)") {
            self.loaded.source.name.clone()
        } else {
            format!("{} (with overrides)", self.loaded.source.name)
        };
        let base = self.base.clone();
        guarded(py, move || {
            let src = engine::source::Source::new(name, text);
            let loaded = engine::io::load_scenario_source(src, &base)?;
            loaded.compile()?;
            Ok(Scenario { loaded, base })
        })
    }

    /// Run at base values and, with draws (default: 10,000 when the scenario has uncertain
    /// inputs, as the command line), over draws of its uncertain inputs.
    ///
    /// `progress(step, done, total)` is called from this thread with step `draws` and the draws
    /// done (see [`with_progress`]); if it raises, the run stops at its next chunk of draws.
    #[pyo3(signature = (draws = None, seed = 1, payback_within = 4, switch = Vec::new(), progress = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        draws: Option<usize>,
        seed: u64,
        payback_within: u32,
        switch: Vec<String>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<RunResult> {
        let loaded = &self.loaded;
        let draws = match draws {
            Some(d) => d,
            None => guarded(py, || {
                let uncertain = loaded.compile()?.params.iter().any(|p| p.dist.is_some());
                Ok(if uncertain {
                    engine::montecarlo::McOptions::default().draws
                } else {
                    0
                })
            })?,
        };
        let counter = std::sync::Arc::new(engine::progress::Progress::new());
        let status = || ("draws", counter.done(), draws);
        let stop = || counter.stop();
        let mc = engine::montecarlo::McOptions {
            draws,
            seed,
            payback_within,
            progress: progress.is_some().then(|| counter.clone()),
            ..Default::default()
        };
        with_progress(py, progress.as_ref(), &status, &stop, move || {
            let sens = engine::SensitivityOptions {
                switch: switch.clone(),
            };
            let run = engine::run_full(loaded, (draws > 0).then_some(&mc), &sens)?;
            Ok(RunResult {
                run,
                draws,
                seed,
                payback_within,
                switch,
                scenario: loaded.source.name.clone(),
            })
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<som.Scenario {:?} from {}>",
            self.loaded.scenario.name, self.loaded.source.name
        )
    }
}

/// The result of a run.
#[pyclass(module = "som._som", frozen)]
struct RunResult {
    run: engine::Run,
    draws: usize,
    seed: u64,
    payback_within: u32,
    switch: Vec<String>,
    scenario: String,
}

#[pymethods]
impl RunResult {
    /// `summary.json` as text, byte for byte what the command line writes.
    fn summary_json(&self) -> String {
        serde_json::to_string_pretty(&self.run.summary).unwrap_or_default()
    }

    /// The ledger (flows by year, arm, actor, department and item at base values).
    fn ledger(&self, py: Python<'_>) -> PyResult<ArrowStream> {
        let run = &self.run;
        guarded(py, || {
            engine::ledger::ledger(
                &run.model,
                run.flows.view(),
                run.flows_pv.as_ref().map(|v| v.view()),
            )
            .map(stream)
            .map_err(|e| invalid("ledger", e.to_string()))
        })
    }

    /// Per-draw metrics, when the run drew.
    fn draws(&self, py: Python<'_>) -> PyResult<Option<ArrowStream>> {
        let run = &self.run;
        guarded(py, || match engine::report::outputs::draws_frame(run) {
            None => Ok(None),
            Some(r) => r
                .map(|df| Some(stream(df)))
                .map_err(|e| invalid("draws", e.to_string())),
        })
    }

    #[getter]
    fn n_draws(&self) -> usize {
        self.draws
    }

    /// Write the outputs of `som run` to `out` (replaced whole if it holds an earlier som
    /// output): the same files, byte for byte, as `som run SCENARIO --out OUT` with the same
    /// options.
    #[pyo3(signature = (out, keep_draws = false, charts = true, workbook = true, lang = "en"))]
    fn write(
        &self,
        py: Python<'_>,
        out: PathBuf,
        keep_draws: bool,
        charts: bool,
        workbook: bool,
        lang: &str,
    ) -> PyResult<()> {
        let lang = match lang {
            "en" => engine::report::Lang::En,
            "da" => engine::report::Lang::Da,
            other => {
                return Err(to_py(
                    py,
                    invalid("lang", format!("is `{other}`; expected `da` or `en`")),
                ));
            }
        };
        guarded(py, || {
            let options = serde_json::json!({
                "command": "run",
                "scenario": self.scenario,
                "out": out.display().to_string(),
                "draws": self.draws,
                "seed": (self.draws > 0).then_some(self.seed),
                "payback_within": self.payback_within,
                "keep_draws": keep_draws,
                "switch": self.switch,
                "charts": charts,
                "lang": lang,
                "workbook": workbook,
            });
            let o = engine::OutputOptions {
                keep_draws,
                charts,
                reports: true,
                workbook,
                lang,
            };
            let files = engine::report::outputs::run_files(&self.run, options, &o)?;
            engine::write_outputs(&out, &files)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Case data, estimation and the municipality comparison.

use engine::casedata::cases::CaseSpec;
use engine::municipalities::national::{self, Est, Plan};
use pyo3::types::PyBytes;

fn case_spec(
    cases: Vec<PathBuf>,
    threshold: usize,
    from: Option<String>,
    to: Option<String>,
) -> CaseSpec {
    CaseSpec {
        cases,
        disclosure_threshold: threshold,
        from,
        to,
        ..Default::default()
    }
}

fn files_dict<'py>(py: Python<'py>, files: &[(String, Vec<u8>)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, bytes) in files {
        d.set_item(name, PyBytes::new(py, bytes))?;
    }
    Ok(d)
}

/// Run a study on case data (`som estimate`): the output files (estimates.json, effects.csv,
/// baseline.csv, balance.csv, transitions.csv, bootstrap.parquet), aggregates only.
///
/// `progress(step, done, total)` is called from this thread with step `read` (0 of 1, while the
/// case data are read and checked) and then `bootstrap` (replicates done of the study's, after
/// the propensity score and matching); if it raises, the bootstrap stops at its next batch.
#[pyfunction]
#[pyo3(signature = (study, cases = Vec::new(), replicates = None, seed = None, disclosure_threshold = 5, period_from = None, period_to = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn estimate<'py>(
    py: Python<'py>,
    study: PathBuf,
    cases: Vec<PathBuf>,
    replicates: Option<usize>,
    seed: Option<u64>,
    disclosure_threshold: usize,
    period_from: Option<String>,
    period_to: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (src, mut st) = guarded(py, || {
        let src = engine::files::read_source(&study)?;
        let st = engine::estimate::Study::parse(&src)?;
        Ok((src, st))
    })?;
    if let Some(b) = replicates {
        if !(100..=100_000).contains(&b) {
            return Err(to_py(
                py,
                invalid(
                    "replicates",
                    format!("is {b}; expected 100 to 100,000 (1,000 is usual)"),
                ),
            ));
        }
        st.bootstrap.replicates = b;
    }
    if let Some(s) = seed {
        st.bootstrap.seed = s;
    }
    let counter = engine::progress::Progress::new();
    let read = std::sync::atomic::AtomicBool::new(false);
    let total = st.bootstrap.replicates;
    let status = || {
        if read.load(std::sync::atomic::Ordering::Acquire) {
            ("bootstrap", counter.done(), total)
        } else {
            ("read", 0, 1)
        }
    };
    let stop = || counter.stop();
    let files = with_progress(py, progress.as_ref(), &status, &stop, || {
        let mut case = case_spec(cases, disclosure_threshold, period_from, period_to);
        if case.cases.is_empty() {
            match &st.cases {
                Some(c) => case.cases = vec![study.parent().unwrap_or(Path::new(".")).join(c)],
                None => {
                    return Err(Error::Invalid(vec![src.diag(
                        &engine::source::FieldPath::root().key("cases"),
                        "name the case data: `cases = \"folder\"` in the study file, or the \
                         `cases` argument",
                    )]));
                }
            }
        }
        case.disclosure_threshold = case.disclosure_threshold.max(st.disclosure_threshold);
        st.disclosure_threshold = case.disclosure_threshold;
        let prepared = engine::casedata::cases::prepare(&case)?;
        read.store(true, std::sync::atomic::Ordering::Release);
        let (e, d) = engine::estimate::estimate_counted(&prepared.input(), &st, &src, &counter)?;
        engine::estimate::output::files(&e, &d)
    })?;
    files_dict(py, &files)
}

/// Read, validate and summarise case data (`som check`): the data-quality report as JSON.
#[pyfunction]
#[pyo3(signature = (cases, disclosure_threshold = 5))]
fn check(py: Python<'_>, cases: Vec<PathBuf>, disclosure_threshold: usize) -> PyResult<String> {
    guarded(py, || {
        let (data, _, _) = engine::casedata::cases::load_cases(
            &case_spec(cases, disclosure_threshold, None, None),
            false,
        )?;
        Ok(serde_json::to_string(&data.report).unwrap_or_default())
    })
}

fn est_to_py<'py>(py: Python<'py>, e: &Est) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match e {
        Est::NoPersons => d.set_item("status", "no_persons")?,
        Est::TooFew => d.set_item("status", "too_few")?,
        Est::Got {
            json,
            bootstrap,
            persons,
            in_target,
        } => {
            d.set_item("status", "estimated")?;
            d.set_item("estimates", PyBytes::new(py, json))?;
            d.set_item("bootstrap", bootstrap.as_ref().map(|b| PyBytes::new(py, b)))?;
            d.set_item("persons", persons)?;
            d.set_item("in_target", in_target)?;
        }
    }
    Ok(d)
}

fn est_from_py(d: &Bound<'_, PyDict>) -> PyResult<Est> {
    let get = |k: &str| d.get_item(k);
    let status: String = get("status")?
        .ok_or_else(|| PyValueError::new_err("an estimate needs `status`"))?
        .extract()?;
    Ok(match status.as_str() {
        "no_persons" => Est::NoPersons,
        "too_few" => Est::TooFew,
        "estimated" => Est::Got {
            json: get("estimates")?
                .ok_or_else(|| PyValueError::new_err("`estimates` missing"))?
                .extract()?,
            bootstrap: match get("bootstrap")? {
                Some(b) if !b.is_none() => Some(b.extract()?),
                _ => None,
            },
            persons: get("persons")?
                .ok_or_else(|| PyValueError::new_err("`persons` missing"))?
                .extract()?,
            in_target: get("in_target")?
                .ok_or_else(|| PyValueError::new_err("`in_target` missing"))?
                .extract()?,
        },
        other => return Err(PyValueError::new_err(format!("unknown status `{other}`"))),
    })
}

/// A municipality comparison, ready to run on one machine ([`Comparison.run`]) or step by step
/// elsewhere (estimate each municipality, run each, merge): the steps of `som municipalities`.
#[pyclass(module = "som._som", frozen)]
struct Comparison {
    plan: Plan,
}

#[pymethods]
impl Comparison {
    #[new]
    #[pyo3(signature = (scenario, cases = Vec::new(), study = None, list = None, only = Vec::new(), reference_population = None, reference = None, draws = 10_000, seed = 1, replicates = None, payback_within = 4, disclosure_threshold = 5))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        scenario: PathBuf,
        cases: Vec<PathBuf>,
        study: Option<PathBuf>,
        list: Option<PathBuf>,
        only: Vec<u16>,
        reference_population: Option<f64>,
        reference: Option<u16>,
        draws: usize,
        seed: u64,
        replicates: Option<usize>,
        payback_within: u32,
        disclosure_threshold: usize,
    ) -> PyResult<Self> {
        let spec = national::Spec {
            scenario,
            case: case_spec(cases, disclosure_threshold, None, None),
            study,
            list,
            only,
            reference_population,
            reference,
            draws,
            seed,
            replicates,
            payback_within,
        };
        guarded(py, || {
            Ok(Comparison {
                plan: national::plan(&spec)?,
            })
        })
    }

    /// The municipality codes, in the list's order.
    fn codes(&self) -> Vec<u16> {
        self.plan.locals.iter().map(|l| l.entry.code).collect()
    }

    /// Whether the comparison estimates effects from case data (has a study).
    #[getter]
    fn has_study(&self) -> bool {
        self.plan.study.is_some()
    }

    /// Every input the comparison reads besides the case data (the scenario, its catalogues,
    /// the list of municipalities, the study) with its SHA-256, as JSON: what a restart checks
    /// the steps it kept against.
    fn inputs_json(&self) -> String {
        let mut inputs = self.plan.inputs.clone();
        if let Some((_, src, _)) = &self.plan.study {
            inputs.push(engine::loaded::InputHash {
                role: "study".into(),
                path: src.name.clone(),
                sha256: src.sha256(),
            });
        }
        serde_json::to_string(&inputs).unwrap_or_default()
    }

    /// The whole comparison on this machine, as `som municipalities`: the output files
    /// (municipalities.csv, .json, .md, .html, regions.csv, charts, manifest.json,
    /// draws.parquet with `keep_draws`) as a dict of name → bytes, and written to `out` when
    /// given.
    ///
    /// `progress(step, done, total)` is called from this thread with step `estimate` (with a
    /// study) and then `run`, and the municipalities done (see [`with_progress`]); if it raises,
    /// the municipalities not yet started are skipped and nothing is written.
    #[pyo3(signature = (out = None, lang = "en", keep_draws = false, progress = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        out: Option<PathBuf>,
        lang: &str,
        keep_draws: bool,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let lang = parse_lang(py, lang)?;
        let estimated = engine::progress::Progress::new();
        let ran = engine::progress::Progress::new();
        let total = self.plan.locals.len();
        let with_study = self.plan.study.is_some();
        let status = || {
            if with_study && ran.done() == 0 && estimated.done() < total {
                ("estimate", estimated.done(), total)
            } else {
                ("run", ran.done(), total)
            }
        };
        let stop = || {
            estimated.stop();
            ran.stop();
        };
        let files = with_progress(py, progress.as_ref(), &status, &stop, || {
            let mut plan = self.plan.clone();
            national::estimate_all_counted(&mut plan, &estimated)?;
            let cmp = engine::municipalities::compare_counted(
                &plan.base,
                &plan.locals,
                &plan.options,
                plan.reference,
                &ran,
            )?;
            let manifest = national::manifest(&plan, lang);
            let files =
                engine::report::outputs::municipality_files(&cmp, lang, keep_draws, manifest)?;
            if let Some(out) = &out {
                engine::write_outputs(out, &files)?;
            }
            Ok(files)
        })?;
        files_dict(py, &files)
    }

    /// Step 1, for one municipality: estimate its effects from case data holding its persons
    /// (its own partition, or more). Aggregates only: a dict with `status` and, when
    /// estimated, `estimates` (estimates.json), `bootstrap` (bootstrap.parquet), `persons` and
    /// `in_target`; and `inputs`, the files read with their SHA-256 (computed while reading)
    /// as `[role, path, sha256]` lists, each path under `cases[0]` named under `named` instead
    /// when given (the folder as the caller named it).
    #[pyo3(signature = (code, cases, named = None))]
    fn estimate_one<'py>(
        &self,
        py: Python<'py>,
        code: u16,
        cases: Vec<PathBuf>,
        named: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Some((study, src, case)) = &self.plan.study else {
            return Err(to_py(py, invalid("study", "the comparison has no study")));
        };
        let (est, inputs) = guarded(py, || {
            if cases.is_empty() {
                return Ok((Est::NoPersons, Vec::new()));
            }
            let case = CaseSpec {
                cases: cases.clone(),
                ..case.clone()
            };
            let prepared = engine::casedata::cases::prepare(&case)?;
            let input = engine::estimate::Input {
                states: None,
                ..prepared.input()
            };
            let est = national::estimate_one(&input, study, src, code)?;
            let inputs: Vec<(String, String, String)> = prepared
                .inputs
                .iter()
                .map(|h| {
                    let path = match (&named, Path::new(&h.path).strip_prefix(&cases[0])) {
                        (Some(n), Ok(rel)) => n.join(rel).display().to_string(),
                        _ => h.path.clone(),
                    };
                    (h.role.clone(), path, h.sha256.clone())
                })
                .collect();
            Ok((est, inputs))
        })?;
        let d = est_to_py(py, &est)?;
        d.set_item("inputs", inputs)?;
        Ok(d)
    }

    /// The case-data participants the cohorts are sized for, from every municipality's
    /// estimate (step 1's dicts by code).
    fn reference_participants(
        &self,
        py: Python<'_>,
        estimates: Bound<'_, PyDict>,
    ) -> PyResult<Option<f64>> {
        let locals = self.localised(py, &estimates)?;
        Ok(engine::municipalities::reference_participants(
            &locals,
            self.plan.reference,
        ))
    }

    /// Step 2, for one municipality: its run (row, draws of the total NPV, base values), as
    /// bytes for [`Comparison.merge`]. `estimate` is its step-1 dict (None without a study).
    #[pyo3(signature = (code, estimate, reference_participants))]
    fn run_one<'py>(
        &self,
        py: Python<'py>,
        code: u16,
        estimate: Option<Bound<'py, PyDict>>,
        reference_participants: Option<f64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let Some(mut l) = self
            .plan
            .locals
            .iter()
            .find(|l| l.entry.code == code)
            .cloned()
        else {
            return Err(to_py(
                py,
                invalid("code", format!("{code} is not in the comparison")),
            ));
        };
        let est = estimate.as_ref().map(est_from_py).transpose()?;
        let bytes = guarded(py, || {
            if let (Some(e), Some((_, src, _))) = (est, &self.plan.study) {
                national::apply(&mut l, e, src, self.plan.options.threshold)?;
            }
            let o = engine::municipalities::run_one(
                &self.plan.base,
                &l,
                &self.plan.options,
                reference_participants,
            )?;
            Ok(o.encode())
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Step 3: merge the municipalities' runs (step 2's bytes, in the order of `codes()`) into
    /// the comparison, and write its files to `out` (the same files, byte for byte, as the
    /// single-machine run, but for the case-data files the manifest lists). `case_inputs` are
    /// the case-data files the estimations read (step 1's `inputs`, in the order of `codes()`),
    /// recorded in the manifest with the study as `som municipalities` records them. Returns
    /// the Markdown table.
    #[pyo3(signature = (outcomes, out, lang = "en", keep_draws = false, case_inputs = Vec::new()))]
    fn merge(
        &self,
        py: Python<'_>,
        outcomes: Vec<Vec<u8>>,
        out: PathBuf,
        lang: &str,
        keep_draws: bool,
        case_inputs: Vec<(String, String, String)>,
    ) -> PyResult<String> {
        let lang = parse_lang(py, lang)?;
        guarded(py, || {
            let outs = outcomes
                .iter()
                .map(|b| engine::municipalities::Outcome::decode(b))
                .collect();
            let cmp = engine::municipalities::merge(&self.plan.base, outs, &self.plan.options)?;
            let mut plan = self.plan.clone();
            national::record_inputs(
                &mut plan,
                case_inputs
                    .into_iter()
                    .map(|(role, path, sha256)| engine::loaded::InputHash { role, path, sha256 }),
            );
            let manifest = national::manifest(&plan, lang);
            let files =
                engine::report::outputs::municipality_files(&cmp, lang, keep_draws, manifest)?;
            engine::write_outputs(&out, &files)?;
            Ok(engine::report::municipalities::markdown(&cmp, lang))
        })
    }
}

impl Comparison {
    fn localised(
        &self,
        py: Python<'_>,
        estimates: &Bound<'_, PyDict>,
    ) -> PyResult<Vec<engine::municipalities::Local>> {
        let mut locals = self.plan.locals.clone();
        if let Some((_, src, _)) = &self.plan.study {
            for l in &mut locals {
                if let Some(d) = estimates.get_item(l.entry.code)? {
                    let e = est_from_py(d.cast::<PyDict>()?)?;
                    national::apply(l, e, src, self.plan.options.threshold)
                        .map_err(|e| to_py(py, e))?;
                }
            }
        }
        Ok(locals)
    }
}

fn parse_lang(py: Python<'_>, lang: &str) -> PyResult<engine::report::Lang> {
    match lang {
        "en" => Ok(engine::report::Lang::En),
        "da" => Ok(engine::report::Lang::Da),
        other => Err(to_py(
            py,
            invalid("lang", format!("is `{other}`; expected `da` or `en`")),
        )),
    }
}

/// The JSON Schema of scenario files, as text.
#[pyfunction]
fn scenario_schema() -> String {
    serde_json::to_string_pretty(&engine::scenario_schema()).unwrap_or_default()
}

#[pymodule]
fn _som(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SomError", m.py().get_type::<SomError>())?;
    m.add("__version__", engine::summary::VERSION)?;
    m.add_class::<Scenario>()?;
    m.add_class::<RunResult>()?;
    m.add_class::<ArrowStream>()?;
    m.add_class::<Comparison>()?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(scenario_schema, m)?)?;
    Ok(())
}
