//! `som check`: read case data, validate it against the contract and print the data-quality
//! report. With `--out`, write the report and the group summaries (aggregates only).

use crate::render::thousands;
use engine::Error;
use engine::casedata::read::read_key_file;
use engine::casedata::{self, Options, cpr::Key, parse::DecimalMark};
use std::fmt::Write;
use std::path::PathBuf;

/// Options shared by the commands that read case data.
#[derive(clap::Args, Debug, Clone)]
pub struct CaseArgs {
    /// A folder of case data (with dataset.toml, or persons.* / services.* / states.* files),
    /// or the table files themselves.
    pub cases: Vec<PathBuf>,
    /// Replace every person id by a keyed pseudonym (HMAC-SHA-256). The key comes from the
    /// environment variable SOM_PSEUDONYM_KEY or from --key-file and is never written.
    #[arg(long)]
    pub pseudonymize: bool,
    /// File holding the pseudonymisation key (at least 16 characters).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// First month of the declared period (YYYY-MM); overrides dataset.toml.
    #[arg(long)]
    pub from: Option<String>,
    /// Last month of the declared period (YYYY-MM); overrides dataset.toml.
    #[arg(long)]
    pub to: Option<String>,
    /// Suppress groups of fewer persons than this (default 5; it can only be raised).
    #[arg(long, default_value_t = casedata::MIN_DISCLOSURE_THRESHOLD)]
    pub disclosure_threshold: usize,
    /// Department map (default: the bundled map of a typical Danish municipality).
    #[arg(long)]
    pub departments: Option<PathBuf>,
    /// Unit-price catalogue whose item ids may appear as service codes (default: bundled).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// CSV field separator (default: detected from the header line).
    #[arg(long)]
    pub separator: Option<char>,
    /// Decimal mark of numbers written as text: comma (1.234,50) or point (1,234.50).
    #[arg(long, value_parser = ["comma", "point"])]
    pub decimal: Option<String>,
    /// Text encoding of CSV files (default: detected).
    #[arg(long, value_parser = ["utf-8", "windows-1252"])]
    pub encoding: Option<String>,
    /// Index year of non-participants in the relative-year summary (default: the median start
    /// year of the participants).
    #[arg(long)]
    pub reference_year: Option<i32>,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub case: CaseArgs,
    /// Write quality.json, by-year.csv, by-relative-year.csv and manifest.json here.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub use engine::casedata::cases::invalid;

/// The pseudonymisation key: from `key_file`, else from `SOM_PSEUDONYM_KEY`; at least 16
/// characters. It is held in memory only.
pub fn pseudonym_key(key_file: Option<&std::path::Path>) -> Result<Key, Error> {
    let bytes = match (key_file, std::env::var("SOM_PSEUDONYM_KEY")) {
        (Some(f), _) => read_key_file(f)?,
        (None, Ok(k)) if !k.trim().is_empty() => k.trim().as_bytes().to_vec(),
        _ => {
            return Err(invalid(
                "--pseudonymize",
                "needs a key: set SOM_PSEUDONYM_KEY or give --key-file".into(),
            ));
        }
    };
    Key::new(bytes).ok_or_else(|| {
        invalid(
            "--pseudonymize",
            "the key is too short: use at least 16 characters".into(),
        )
    })
}

/// Read and validate the case data named by `args`.
pub fn load(
    args: &CaseArgs,
    monthly: bool,
) -> Result<(casedata::CaseData, Options, Vec<engine::loaded::InputHash>), Error> {
    engine::casedata::cases::load_cases(&spec(args)?, monthly)
}

/// The case data the arguments name, with the pseudonymisation key resolved.
pub fn spec(args: &CaseArgs) -> Result<engine::casedata::cases::CaseSpec, Error> {
    let key = if args.pseudonymize {
        Some(pseudonym_key(args.key_file.as_deref())?)
    } else {
        None
    };
    Ok(engine::casedata::cases::CaseSpec {
        cases: args.cases.clone(),
        key,
        from: args.from.clone(),
        to: args.to.clone(),
        disclosure_threshold: args.disclosure_threshold,
        departments: args.departments.clone(),
        prices: args.prices.clone(),
        separator: args.separator.map(|c| c as u8),
        decimal: args.decimal.clone(),
        encoding: args.encoding.clone(),
        reference_year: args.reference_year,
    })
}

pub fn run(args: &CheckArgs) -> Result<String, Error> {
    let reading = crate::progress::Bar::spinner("reading and checking the case data");
    let (data, opts, inputs) = load(&args.case, false)?;
    let clock = std::time::Instant::now();
    let (by_year, by_rel) = casedata::summaries(&data, &opts);
    drop(reading);
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "group summaries");
    if let Some(out) = &args.out {
        let mut files = Vec::new();
        files.push((
            "quality.json".to_string(),
            serde_json::to_vec_pretty(&data.report).unwrap_or_default(),
        ));
        for (name, rows, col) in [
            ("by-year.csv", &by_year, "year"),
            ("by-relative-year.csv", &by_rel, "year_since_index"),
        ] {
            let mut df = casedata::group_frame(rows, col).map_err(|e| Error::Write {
                path: out.join(name),
                message: e.to_string(),
            })?;
            let bytes = engine::report::outputs::csv_bytes(&mut df).map_err(|e| Error::Write {
                path: out.join(name),
                message: e.to_string(),
            })?;
            files.push((name.to_string(), bytes));
        }
        let manifest = serde_json::json!({
            "format": "som-manifest/1",
            "som_version": engine::summary::VERSION,
            "command": "check",
            "disclosure_threshold": opts.disclosure_threshold,
            "pseudonymised": opts.key.is_some(),
            "inputs": inputs,
            "outputs": engine::summary::output_hashes(&files),
        });
        files.push((
            engine::summary::MANIFEST.to_string(),
            serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        ));
        engine::write_outputs(out, &files)?;
    }
    if args.json {
        return Ok(serde_json::to_string_pretty(&data.report).unwrap_or_default());
    }
    let mut text = render(&data.report);
    if let Some(out) = &args.out {
        let _ = write!(
            text,
            "\nReport and group summaries written to {}",
            out.display()
        );
    }
    Ok(text)
}

/// The report as text.
pub fn render(r: &casedata::report::QualityReport) -> String {
    let mut s = String::new();
    let n = |v: Option<u64>| {
        v.map(|x| thousands(x as f64))
            .unwrap_or_else(|| format!("<{} (suppressed)", r.disclosure_threshold))
    };
    let _ = writeln!(
        s,
        "Case data: {} files, disclosure threshold {}{}",
        r.files.len(),
        r.disclosure_threshold,
        if r.pseudonymised {
            ", ids pseudonymised"
        } else {
            ""
        }
    );
    for f in &r.files {
        let mut how = format!("{:?}", f.format).to_lowercase();
        if let Some(e) = f.encoding {
            let _ = write!(how, ", {e}");
        }
        if let Some(sep) = &f.separator {
            let _ = write!(how, ", separator {sep:?}");
        }
        if let Some(sh) = &f.sheet {
            let _ = write!(how, ", sheet {sh:?}");
        }
        let _ = writeln!(
            s,
            "  {} ({how}; {} bytes)",
            f.file,
            thousands(f.bytes as f64)
        );
    }
    if let Some(p) = &r.declared_period {
        let _ = writeln!(s, "  declared period {p}");
    }
    let p = &r.persons;
    let _ = writeln!(
        s,
        "\nPersons: {} ({} participants, {} non-participants)",
        thousands(p.persons as f64),
        n(p.participants),
        n(p.non_participants)
    );
    let list = |c: &[casedata::report::Count]| {
        c.iter()
            .map(|c| format!("{} {}", c.key, n(c.persons)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(s, "  segments: {}", list(&p.by_segment));
    let _ = writeln!(
        s,
        "  coordination level: {}",
        list(&p.by_coordination_level)
    );
    let _ = writeln!(
        s,
        "  municipalities: {}",
        if p.by_municipality.len() > 8 {
            format!("{} municipalities", p.by_municipality.len())
        } else {
            list(&p.by_municipality)
        }
    );
    if let Some((a, b)) = p.birth_years {
        let _ = writeln!(s, "  birth years {a}–{b}");
    }
    if let Some((a, b)) = p.start_years {
        let _ = writeln!(s, "  participants started {a}–{b}");
    }
    let v = &r.services;
    let _ = writeln!(
        s,
        "\nServices: {} rows, {} to {}{}",
        thousands(v.rows as f64),
        v.first_period.as_deref().unwrap_or("–"),
        v.last_period.as_deref().unwrap_or("–"),
        match v.decimal_mark {
            Some(DecimalMark::Comma) => ", decimal comma",
            Some(DecimalMark::Point) => ", decimal point",
            None => "",
        }
    );
    let _ = writeln!(
        s,
        "  persons with services {}, without {}",
        n(v.persons_with_services),
        n(v.persons_without_services)
    );
    let _ = writeln!(
        s,
        "  {:<18} {:>8} {:>12} {:>18}",
        "department", "persons", "rows", "amount (kr.)"
    );
    for d in &v.by_department {
        if d.suppressed {
            let _ = writeln!(s, "  {:<18} {:>8}", d.department, "suppressed");
        } else {
            let _ = writeln!(
                s,
                "  {:<18} {:>8} {:>12} {:>18}",
                d.department,
                n(d.persons),
                n(d.rows),
                thousands(d.amount.unwrap_or(0.0))
            );
        }
    }
    let _ = writeln!(
        s,
        "  {:<18} {:>8} {:>18}",
        "year", "persons", "amount (kr.)"
    );
    for y in &v.by_year {
        let _ = writeln!(
            s,
            "  {:<18} {:>8} {:>18}",
            y.year,
            n(y.persons),
            y.amount
                .map(thousands)
                .unwrap_or_else(|| "suppressed".into())
        );
    }
    for x in &v.suspicious {
        let _ = writeln!(s, "  note: {} {}", thousands(x.rows as f64), x.check);
    }
    if let Some(st) = &r.states {
        let _ = writeln!(
            s,
            "\nStates: {} rows; persons ever in: {}",
            thousands(st.rows as f64),
            list(&st.by_state)
        );
    }
    s
}
