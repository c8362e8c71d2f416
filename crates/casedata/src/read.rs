//! Reading case-data files: CSV (Danish Excel exports included), Parquet and Excel.
//!
//! A file becomes a [`TableReader`] that hands out polars data frames batch by batch, with the
//! 1-based row number of each batch's first row, so that validation can name rows. CSV and Excel
//! files are read whole as text columns; Parquet is read in slices of row groups, so that a file
//! larger than memory is never held at once. Inputs are only ever read.

use polars::prelude::*;
use polars_io::SerReader;
use polars_io::csv::read::{CsvParseOptions, CsvReadOptions};
use polars_io::parquet::read::ParquetReader;
use sha2::{Digest, Sha256};
use som_core::error::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// File format of a case-data table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
    Xlsx,
}

/// How a file was read, for the data-quality report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileInfo {
    pub file: String,
    pub format: Format,
    /// Text encoding (CSV): `utf-8`, `utf-8 with BOM`, `utf-16le` or `utf-16be` (each with
    /// or without `with BOM`) or `windows-1252`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// Field separator (CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Excel sheet read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub bytes: u64,
    pub sha256: String,
}

/// Options for reading files; `None` means detect.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub separator: Option<u8>,
    /// Force Windows-1252 (`Some(true)`) or UTF-8 (`Some(false)`).
    pub windows_1252: Option<bool>,
    /// Rows per Parquet batch (rounded up to whole row groups). Default 250,000.
    pub batch_rows: Option<usize>,
}

enum Inner {
    /// The whole table, not yet handed out.
    Whole(Option<DataFrame>),
    /// Slices (offset, length) of a Parquet file still to read.
    Parquet {
        path: PathBuf,
        slices: Vec<(usize, usize)>,
        next: usize,
    },
}

/// A table being read batch by batch.
pub struct TableReader {
    /// How the file is read; its `sha256` is filled in by [`TableReader::finish_info`].
    pub info: FileInfo,
    headers: Vec<String>,
    rows: usize,
    inner: Inner,
    /// The file's SHA-256, being computed in a thread of its own while the file is read.
    hashing: Option<std::thread::JoinHandle<Result<(String, u64)>>>,
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    }
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: e,
    }
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<(String, u64)> {
    let clock = std::time::Instant::now();
    let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(|e| io_err(path, e))?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    tracing::debug!(
        file = %path.display(),
        bytes = n,
        seconds = clock.elapsed().as_secs_f64(),
        "hashed"
    );
    Ok((som_core::source::hex(&h.finalize()), n))
}

impl TableReader {
    /// Open a CSV, Parquet or Excel file (by extension). `sheet` names the preferred Excel
    /// sheet (the table's name); the first sheet is used when there is none of that name.
    pub fn open(path: &Path, opts: &ReadOptions, sheet: &str) -> Result<TableReader> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => open_csv(path, opts),
            "parquet" | "pq" => {
                som_files::check_input(path, som_files::PARQUET)?;
                open_parquet(path, opts)
            }
            "xlsx" | "xlsm" | "xls" | "ods" => open_excel(path, sheet),
            other => Err(read_err(
                path,
                format!("unknown file type `.{other}`; expected .csv, .parquet or .xlsx"),
            )),
        }
    }

    /// The file information with its hash (waits for the hashing thread).
    pub fn finish_info(&mut self) -> Result<FileInfo> {
        if let Some(h) = self.hashing.take() {
            let (sha, bytes) = h
                .join()
                .map_err(|_| read_err(Path::new(&self.info.file), "the hashing thread failed"))??;
            self.info.sha256 = sha;
            self.info.bytes = bytes;
        }
        Ok(self.info.clone())
    }

    /// Column names as they stand in the file.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The next batch: 1-based number of its first data row, and the columns asked for.
    pub fn next_batch(&mut self, columns: &[String]) -> Result<Option<(usize, DataFrame)>> {
        match &mut self.inner {
            Inner::Whole(df) => Ok(df.take().map(|d| {
                let d = d.select(columns.iter().map(|c| c.as_str())).unwrap_or(d);
                (1, d)
            })),
            Inner::Parquet { path, slices, next } => {
                let Some(&(offset, len)) = slices.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                let f = std::fs::File::open(&*path).map_err(|e| io_err(path, e))?;
                let df = crate::guard::guarded(path, "Parquet file", || {
                    ParquetReader::new(f)
                        .with_columns(Some(columns.to_vec()))
                        .with_slice(Some((offset, len)))
                        .finish()
                        .map_err(|e| read_err(path, e))
                })?;
                Ok(Some((offset + 1, df)))
            }
        }
    }
}

/// Call `consume` on every batch of `columns` after `prepare` has done the batch's column work
/// (work that needs no shared state). Three stages run at once: one thread decodes batch k + 2, another prepares batch k + 1, and
/// the caller's thread consumes batch k. Batches are consumed in file order.
pub fn for_each_prepared<P: Send>(
    reader: &mut TableReader,
    columns: &[String],
    prepare: impl Fn(usize, DataFrame) -> P + Sync,
    mut consume: impl FnMut(P) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (tx_raw, rx_raw) =
            std::sync::mpsc::sync_channel::<Result<Option<(usize, DataFrame)>>>(0);
        // A decoded batch is handed over only when the preparing thread takes it (rendezvous);
        // one prepared batch may wait for the consumer. That bounds the batches in memory to
        // about four.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<P>>>(1);
        let prepare = &prepare;
        scope.spawn(move || {
            loop {
                let batch = reader.next_batch(columns);
                let done = !matches!(batch, Ok(Some(_)));
                if tx_raw.send(batch).is_err() || done {
                    break;
                }
            }
        });
        scope.spawn(move || {
            for batch in rx_raw {
                let out = match batch {
                    Ok(Some((first, df))) => Ok(Some(prepare(first, df))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                let done = !matches!(out, Ok(Some(_)));
                if tx.send(out).is_err() || done {
                    break;
                }
            }
        });
        for batch in rx {
            match batch? {
                Some(p) => consume(p)?,
                None => break,
            }
        }
        Ok(())
    })
}

fn open_parquet(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
    let hash_path = path.to_path_buf();
    let hashing = Some(std::thread::spawn(move || file_sha256(&hash_path)));
    let (sha256, bytes) = (String::new(), 0);
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let (headers, meta) = crate::guard::guarded(path, "Parquet file", || {
        let mut reader = ParquetReader::new(f);
        let schema = reader.schema().map_err(|e| read_err(path, e))?;
        let headers: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        let meta = reader
            .get_metadata()
            .map_err(|e| read_err(path, e))?
            .clone();
        Ok((headers, meta))
    })?;
    let target = opts.batch_rows.unwrap_or(250_000).max(1);
    let mut slices = Vec::new();
    let (mut start, mut len) = (0usize, 0usize);
    // Row counts come from the file's metadata: a damaged file can give any number.
    const MAX_ROWS: usize = 1 << 40;
    for rg in &meta.row_groups {
        len = len
            .checked_add(rg.num_rows())
            .filter(|&l| start.saturating_add(l) <= MAX_ROWS)
            .ok_or_else(|| read_err(path, "its metadata count more rows than a file can hold"))?;
        if len >= target {
            slices.push((start, len));
            start += len;
            len = 0;
        }
    }
    if len > 0 {
        slices.push((start, len));
    }
    let rows = start + len;
    Ok(TableReader {
        info: FileInfo {
            file: path.display().to_string(),
            format: Format::Parquet,
            encoding: None,
            separator: None,
            sheet: None,
            bytes,
            sha256,
        },
        headers,
        rows,
        inner: Inner::Parquet {
            path: path.to_path_buf(),
            slices,
            next: 0,
        },
        hashing,
    })
}

/// Windows-1252 code points for bytes 0x80–0x9F; other bytes are Latin-1.
const CP1252: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// Decode Windows-1252 bytes.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => char::from_u32(CP1252[(b - 0x80) as usize]).unwrap_or('\u{fffd}'),
            _ => b as char,
        })
        .collect()
}

/// UTF-16 text (little- or big-endian) with its byte-order mark, as Excel writes "Unicode
/// text"; or without one, when every other byte of the start is 0 (ASCII in UTF-16).
fn utf16(bytes: &[u8]) -> Option<(bool, &[u8], &'static str)> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Some((true, rest, "utf-16le with BOM"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Some((false, rest, "utf-16be with BOM"));
    }
    let head = &bytes[..bytes.len().min(200) & !1];
    if head.len() >= 4 {
        let (even, odd): (Vec<u8>, Vec<u8>) = head.chunks(2).map(|c| (c[0], c[1])).unzip();
        let zeros = |v: &[u8]| v.iter().filter(|&&b| b == 0).count() * 10 >= v.len() * 9;
        if zeros(&odd) && !zeros(&even) {
            return Some((true, bytes, "utf-16le"));
        }
        if zeros(&even) && !zeros(&odd) {
            return Some((false, bytes, "utf-16be"));
        }
    }
    None
}

/// Decode a text file: UTF-8 (a byte-order mark is dropped), UTF-16 (with its byte-order mark,
/// or recognised by its zero bytes) or Windows-1252.
pub fn decode_text(bytes: Vec<u8>, force_1252: Option<bool>) -> (String, &'static str) {
    if force_1252 == Some(true) {
        return (decode_cp1252(&bytes), "windows-1252");
    }
    if let Some((le, rest, name)) = utf16(&bytes) {
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        let text = char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect();
        return (text, name);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (String::from_utf8_lossy(rest).into_owned(), "utf-8 with BOM");
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, "utf-8"),
        Err(e) if force_1252 == Some(false) => {
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), "utf-8")
        }
        Err(e) => (decode_cp1252(e.as_bytes()), "windows-1252"),
    }
}

/// The separator of a CSV header line: the most frequent of `;`, `,` and tab outside quotes.
pub fn detect_separator(header: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b';', b',', b'\t'][best]
}

fn open_csv(path: &Path, opts: &ReadOptions) -> Result<TableReader> {
    let raw = som_files::read_bytes(path, som_files::CSV)?;
    let sha256 = som_core::source::hex(&Sha256::digest(&raw));
    let bytes = raw.len() as u64;
    let (text, encoding) = decode_text(raw, opts.windows_1252);
    let header = text.lines().next().unwrap_or("");
    let sep = opts.separator.unwrap_or_else(|| detect_separator(header));
    let parse = CsvParseOptions::default()
        .with_separator(sep)
        .with_missing_is_null(true)
        .with_truncate_ragged_lines(false);
    let df = crate::guard::guarded(path, "CSV file", || {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(parse)
            .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes()))
            .finish()
            // Never the parser's own message: it quotes the rows it could not read, personal
            // data included.
            .map_err(|_| read_err(path, csv_problem(&text, sep)))
    })?;
    let headers = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let rows = df.height();
    Ok(TableReader {
        info: FileInfo {
            file: path.display().to_string(),
            format: Format::Csv,
            encoding: Some(encoding),
            separator: Some(match sep {
                b'\t' => "tab".to_string(),
                b => (b as char).to_string(),
            }),
            sheet: None,
            bytes,
            sha256,
        },
        headers,
        rows,
        inner: Inner::Whole(Some(df)),
        hashing: None,
    })
}

/// Why a CSV text cannot be read, in som's words and without quoting it: the first data row
/// with more fields than the header (a shorter row is read with empty fields), or a quoted
/// field never closed.
pub fn csv_problem(text: &str, sep: u8) -> String {
    let sep = sep as char;
    let (mut row, mut fields, mut quoted, mut at_start) = (0usize, 1usize, false, true);
    let mut expected = None;
    let mut opened_at = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    quoted = false;
                }
            }
            '"' if at_start => {
                quoted = true;
                opened_at = row;
            }
            c if quoted => {
                let _ = c;
            }
            c if c == sep => {
                fields += 1;
                at_start = true;
                continue;
            }
            '\n' => {
                // A short row is read with empty fields; only a long one stops the parser.
                match expected {
                    None => expected = Some(fields),
                    Some(n) if fields > n => {
                        return format!(
                            "row {row}: expected {n} fields, as the header has, found {fields} \
                             (separator `{}`)",
                            if sep == '\t' {
                                "tab".to_string()
                            } else {
                                sep.to_string()
                            }
                        );
                    }
                    _ => {}
                }
                row += 1;
                fields = 1;
                at_start = true;
                continue;
            }
            _ => {}
        }
        at_start = false;
    }
    if quoted {
        return if opened_at == 0 {
            "the header: a quoted field is never closed (a `\"` too many or too few)".into()
        } else {
            format!("row {opened_at}: a quoted field is never closed (a `\"` too many or too few)")
        };
    }
    if let Some(n) = expected
        && fields > n
        && !text.ends_with('\n')
    {
        return format!("row {row}: expected {n} fields, as the header has, found {fields}");
    }
    "not a CSV table som can read (check the separator and the encoding)".into()
}

/// Excel serial day (1900 date system) to an ISO date.
fn excel_date(serial: f64) -> Option<String> {
    // Days since 1970-01-01 = serial − 25,569 (Excel's 1900 system, after its 1900 leap bug).
    let days = serial.floor() as i64 - 25_569;
    let (y, m, d) = civil_from_days(days);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What an Excel workbook may unpack to: each part, and all of them together, in bytes. A
/// workbook is zipped XML; a small file can unpack to gigabytes (one shared string of 1 GiB in
/// a 1 MB file), so the sizes are checked before a part is read, and the zip reader stops at a
/// part's declared size should it lie.
pub const EXCEL_PART_BYTES: u64 = 256 << 20;
pub const EXCEL_UNPACKED_BYTES: u64 = 1 << 30;
/// The longest text in one cell (Excel's own limit), in characters.
pub const EXCEL_CELL_CHARS: usize = 32_767;
/// Rows and columns of a sheet (Excel's own limits), and cells read from one sheet.
pub const EXCEL_ROWS: u32 = 1_048_576;
pub const EXCEL_COLUMNS: u32 = 16_384;
pub const EXCEL_CELLS: u64 = 100_000_000;

/// Check what a zipped workbook unpacks to before anything is unpacked: every part within
/// [`EXCEL_PART_BYTES`], all within [`EXCEL_UNPACKED_BYTES`], and a shared-string table that
/// does not announce more strings than its size can hold (the reader reserves room for them).
fn check_zip(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Read;
    let mut zip = ::zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| read_err(path, format!("not a readable Excel workbook (.xlsx): {e}")))?;
    let mut total = 0u64;
    let mut shared = None;
    for i in 0..zip.len() {
        let e = zip
            .by_index_raw(i)
            .map_err(|e| read_err(path, format!("not a readable Excel workbook: {e}")))?;
        let name = e.name().map(|n| n.to_string()).unwrap_or_default();
        if e.size() > EXCEL_PART_BYTES {
            return Err(read_err(
                path,
                format!(
                    "its part `{name}` unpacks to {} bytes; som reads parts of at most {} \
                     bytes (save the table as CSV or Parquet)",
                    e.size(),
                    EXCEL_PART_BYTES
                ),
            ));
        }
        total = total.saturating_add(e.size());
        if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            shared = Some((i, e.size()));
        }
    }
    if total > EXCEL_UNPACKED_BYTES {
        return Err(read_err(
            path,
            format!(
                "it unpacks to {total} bytes; som reads workbooks of at most \
                 {EXCEL_UNPACKED_BYTES} bytes unpacked (save the table as CSV or Parquet)"
            ),
        ));
    }
    if let Some((i, size)) = shared {
        let mut head = Vec::new();
        zip.by_index(i)
            .and_then(|f| Ok(f.take(4096).read_to_end(&mut head)?))
            .map_err(|e| read_err(path, format!("not a readable Excel workbook: {e}")))?;
        let head = String::from_utf8_lossy(&head);
        // Each string takes at least `<si><t/></si>`: 12 bytes.
        for attr in ["uniqueCount=\"", "count=\""] {
            let n = head.find(attr).and_then(|at| {
                let digits: String = head[at + attr.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse::<u64>().ok()
            });
            if n.is_some_and(|n| n > size / 12 + 1) {
                return Err(read_err(
                    path,
                    "its shared-string table announces more strings than it holds; \
                     not a workbook som reads",
                ));
            }
        }
    }
    Ok(())
}

/// One cell's value as text (the contract's columns are read as text, then parsed).
/// One cell's value as text, `row` its data row (0 the header row) for the message.
fn cell_text(path: &Path, row: usize, value: &calamine::DataRef<'_>) -> Result<Option<String>> {
    use calamine::DataRef;
    let text = match value {
        DataRef::Empty => None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.clone()),
        DataRef::SharedString(s) => Some(s.to_string()),
        DataRef::Float(f) => Some(format!("{f}")),
        DataRef::Int(i) => Some(i.to_string()),
        DataRef::Bool(b) => Some(b.to_string()),
        DataRef::DateTime(dt) => excel_date(dt.as_f64()),
        DataRef::Error(e) => Some(e.to_string()),
    };
    match text {
        Some(t) if t.chars().count() > EXCEL_CELL_CHARS => Err(read_err(
            path,
            format!(
                "{}: a cell holds more than {EXCEL_CELL_CHARS} characters (Excel's own \
                 limit); not a table som reads",
                if row == 0 {
                    "the header row".to_string()
                } else {
                    format!("row {row}")
                }
            ),
        )),
        Some(t) if t.trim().is_empty() => Ok(None),
        t => Ok(t),
    }
}

fn open_excel(path: &Path, sheet: &str) -> Result<TableReader> {
    let is_xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"));
    if !is_xlsx {
        return Err(read_err(
            path,
            "som reads Excel workbooks as .xlsx; save this one as .xlsx (or CSV)",
        ));
    }
    let raw = som_files::read_bytes(path, som_files::EXCEL)?;
    let sha256 = som_core::source::hex(&Sha256::digest(&raw));
    let bytes = raw.len() as u64;
    check_zip(path, &raw)?;
    crate::guard::guarded(path, "Excel workbook", || {
        excel_table(path, sheet, raw, sha256, bytes)
    })
}

/// The table of a workbook whose parts were checked ([`check_zip`]): `sheet`, or the first.
fn excel_table(
    path: &Path,
    sheet: &str,
    raw: Vec<u8>,
    sha256: String,
    bytes: u64,
) -> Result<TableReader> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(raw))
        .map_err(|e| read_err(path, format!("not a readable Excel workbook: {e}")))?;
    let names = wb.sheet_names();
    let chosen = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(sheet))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| read_err(path, "the workbook has no sheets"))?;
    let mut cells = wb
        .worksheet_cells_reader(&chosen)
        .map_err(|e| read_err(path, format!("sheet `{chosen}`: {e}")))?;
    // Cells arrive row by row, left to right; the first row holds the headers, and the table
    // starts at its first cell's column.
    let mut headers: Vec<String> = Vec::new();
    let mut cols: Vec<Vec<Option<String>>> = Vec::new();
    let mut first: Option<(u32, u32)> = None;
    let mut rows = 0usize;
    let mut count = 0u64;
    let beyond = || {
        read_err(
            path,
            format!(
                "sheet `{chosen}` goes beyond {EXCEL_ROWS} rows, {EXCEL_COLUMNS} columns or \
                 {EXCEL_CELLS} cells; not a table som reads"
            ),
        )
    };
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| read_err(path, format!("sheet `{chosen}`: {e}")))?
    {
        let (r, c) = cell.get_position();
        count += 1;
        if r >= EXCEL_ROWS || c >= EXCEL_COLUMNS || count > EXCEL_CELLS {
            return Err(beyond());
        }
        // An empty cell (a formula without a value, a formatted blank) is no cell of the table.
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (top, left) = *first.get_or_insert((r, c));
        // Rows as the sheet numbers them; the data's first row is row 1, as in every message.
        let data_row = r
            .checked_sub(top)
            .ok_or_else(|| read_err(path, format!("sheet `{chosen}`: its rows are out of order")))?
            as usize;
        let value = cell_text(path, data_row, cell.get_value())?;
        if c < left {
            continue;
        }
        let c = (c - left) as usize;
        if data_row == 0 {
            if headers.len() <= c {
                headers.resize(c + 1, String::new());
            }
            headers[c] = value.unwrap_or_default();
            continue;
        }
        if data_row < rows {
            return Err(read_err(
                path,
                format!("sheet `{chosen}`: its rows are out of order at row {data_row}"),
            ));
        }
        if data_row > rows {
            // The table as it will be held: every header's column to this row.
            if headers.len() as u64 * data_row as u64 > EXCEL_CELLS {
                return Err(beyond());
            }
            rows = data_row;
        }
        if cols.len() < headers.len() {
            cols.resize(headers.len(), Vec::new());
        }
        // A column beyond the headers has no name and is not read.
        if let Some(col) = cols.get_mut(c) {
            if col.len() >= data_row {
                return Err(read_err(
                    path,
                    format!("sheet `{chosen}`: row {data_row} holds a cell twice"),
                ));
            }
            col.resize(data_row - 1, None);
            col.push(value);
        }
    }
    cols.resize(headers.len(), Vec::new());
    for col in &mut cols {
        col.resize(rows, None);
    }
    let columns: Vec<Column> = headers
        .iter()
        .zip(cols)
        .map(|(h, v)| Column::new(h.as_str().into(), v))
        .collect();
    let df = DataFrame::new_infer_height(columns).map_err(|e| read_err(path, e))?;
    Ok(TableReader {
        info: FileInfo {
            file: path.display().to_string(),
            format: Format::Xlsx,
            encoding: None,
            separator: None,
            sheet: Some(chosen),
            bytes,
            sha256,
        },
        headers,
        rows,
        inner: Inner::Whole(Some(df)),
        hashing: None,
    })
}

/// The files of a case-data set, found from what the user named.
#[derive(Debug, Clone)]
pub struct Located {
    pub persons: PathBuf,
    pub services: PathBuf,
    pub states: Option<PathBuf>,
    /// `dataset.toml`, when the set came as a folder that has one.
    pub spec: Option<(DatasetSpec, som_core::source::Source)>,
}

// `.xls` and `.ods` are found too, to be told to be saved as `.xlsx`.
const TABLE_EXTENSIONS: &[&str] = &["parquet", "csv", "xlsx", "xlsm", "xls", "ods"];

fn table_kind(path: &Path) -> Option<&'static str> {
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    if !TABLE_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    ["persons", "services", "states"].into_iter().find(|k| {
        stem == *k || stem.starts_with(&format!("{k}_")) || stem.starts_with(&format!("{k}-"))
    })
}

/// Find the tables: one folder (with `dataset.toml`, or files named `persons.*`, `services.*`,
/// `states.*`), or the table files themselves.
pub fn locate(cases: &[PathBuf]) -> Result<Located> {
    let not_found = |what: &str| {
        Error::Invalid(vec![som_core::error::Diagnostic {
            file: cases
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            line: None,
            column: None,
            field: String::new(),
            row: None,
            message: what.to_string(),
        }])
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut spec = None;
    // One Excel workbook with a sheet per table.
    if let [book] = cases
        && book.is_file()
        && table_kind(book).is_none()
        && book
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        use calamine::Reader;
        let raw = som_files::read_bytes(book, som_files::EXCEL)?;
        check_zip(book, &raw)?;
        let sheets: Vec<String> = crate::guard::guarded(book, "Excel workbook", || {
            let wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(raw))
                .map_err(|e| read_err(book, format!("not a readable Excel workbook: {e}")))?;
            Ok(wb.sheet_names().iter().map(|s| s.to_lowercase()).collect())
        })?;
        let has = |t: &str| sheets.iter().any(|s| s == t);
        if !(has("persons") && has("services")) {
            return Err(not_found(
                "an Excel workbook needs sheets named `persons` and `services` (and optionally \
                 `states`)",
            ));
        }
        return Ok(Located {
            persons: book.clone(),
            services: book.clone(),
            states: has("states").then(|| book.clone()),
            spec: None,
        });
    }
    match cases {
        [dir] if dir.is_dir() => {
            let toml = dir.join("dataset.toml");
            if toml.is_file() {
                let src = som_files::read_source(&toml)?;
                let s: DatasetSpec = src.parse().map_err(|d| Error::Invalid(vec![d]))?;
                files.push(dir.join(&s.persons));
                files.push(dir.join(&s.services));
                if let Some(st) = &s.states {
                    files.push(dir.join(st));
                }
                spec = Some((s, src));
            } else {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
                    .map_err(|e| io_err(dir, e))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                files = entries;
            }
        }
        _ => files = cases.to_vec(),
    }
    let mut found: [Option<PathBuf>; 3] = [None, None, None];
    for f in files {
        let kind = if spec.is_some() {
            // dataset.toml names each table explicitly, in order.
            let i = found.iter().position(Option::is_none).unwrap_or(2);
            Some(["persons", "services", "states"][i])
        } else {
            table_kind(&f)
        };
        let Some(kind) = kind else { continue };
        let i = ["persons", "services", "states"]
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(0);
        if !f.is_file() {
            return Err(io_err(
                &f,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        found[i] = Some(f);
    }
    let [persons, services, states] = found;
    match (persons, services) {
        (Some(persons), Some(services)) => Ok(Located {
            persons,
            services,
            states,
            spec,
        }),
        (None, _) => Err(not_found(
            "no persons table: name a folder with dataset.toml or persons.*/services.* files, \
             or the files themselves (persons.csv, services.parquet, …)",
        )),
        (_, None) => Err(not_found(
            "no services table: expected a file named services.csv, services.parquet or \
             services.xlsx (or named in dataset.toml)",
        )),
    }
}

/// Read a pseudonymisation key file (its trimmed contents).
pub fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = som_files::read_bytes(path, som_files::KEY)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.trim().as_bytes().to_vec())
}

/// Read a whole table file into one data frame (text columns for CSV and Excel).
pub fn read_whole(path: &Path, opts: &ReadOptions, sheet: &str) -> Result<(FileInfo, DataFrame)> {
    let mut reader = TableReader::open(path, opts, sheet)?;
    let columns = reader.headers().to_vec();
    let mut out: Option<DataFrame> = None;
    while let Some((_, df)) = reader.next_batch(&columns)? {
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut(&df).map_err(|e| read_err(path, e))?;
            }
        }
    }
    let df = out.unwrap_or_default();
    Ok((reader.finish_info()?, df))
}

/// A table as bytes in the format it came in (Excel is written as CSV): (file name, bytes).
pub fn table_bytes(info: &FileInfo, df: &mut DataFrame) -> Result<(String, Vec<u8>)> {
    use polars_io::SerWriter;
    use polars_io::csv::write::CsvWriter;
    use polars_io::parquet::write::ParquetWriter;
    let path = Path::new(&info.file);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "table".into());
    let werr = |e: PolarsError| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut bytes = Vec::new();
    match info.format {
        Format::Parquet => {
            ParquetWriter::new(&mut bytes).finish(df).map_err(werr)?;
            Ok((format!("{stem}.parquet"), bytes))
        }
        Format::Csv | Format::Xlsx => {
            let sep = info
                .separator
                .as_deref()
                .map(|s| if s == "tab" { b'\t' } else { s.as_bytes()[0] })
                .unwrap_or(b',');
            CsvWriter::new(&mut bytes)
                .with_separator(sep)
                .finish(df)
                .map_err(werr)?;
            Ok((format!("{stem}.csv"), bytes))
        }
    }
}

/// `dataset.toml`: a description of a folder of case data.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    pub name: String,
    #[serde(default)]
    pub municipality: Option<u16>,
    /// Declared period; services and states outside it are errors.
    #[serde(default)]
    pub period: Option<PeriodSpec>,
    pub persons: String,
    pub services: String,
    #[serde(default)]
    pub states: Option<String>,
    /// How the data came about (for synthetic data: the generating command and seed).
    #[serde(default)]
    pub source: Option<String>,
}

/// A period from one (year, month) to another, inclusive.
pub type Period = ((i32, u32), (i32, u32));

/// A declared period, `YYYY-MM` to `YYYY-MM`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodSpec {
    pub from: String,
    pub to: String,
}

impl PeriodSpec {
    /// The period as ((year, month), (year, month)), or a message saying what is wrong.
    pub fn parse(&self) -> std::result::Result<Period, String> {
        let from = crate::parse::period(&self.from)
            .ok_or_else(|| format!("`from` = {:?} is not a year-month (YYYY-MM)", self.from))?;
        let to = crate::parse::period(&self.to)
            .ok_or_else(|| format!("`to` = {:?} is not a year-month (YYYY-MM)", self.to))?;
        if to < from {
            return Err(format!(
                "`to` ({}) is before `from` ({})",
                self.to, self.from
            ));
        }
        Ok((from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_bom() {
        let (s, enc) = decode_text(vec![b'K', 0xF8, b'n', b';', 0xE6, 0x80], None);
        assert_eq!((s.as_str(), enc), ("Køn;æ€", "windows-1252"));
        let (s, enc) = decode_text(b"\xEF\xBB\xBFk\xC3\xB8n".to_vec(), None);
        assert_eq!((s.as_str(), enc), ("køn", "utf-8 with BOM"));
    }

    #[test]
    fn separators() {
        assert_eq!(detect_separator("person_id;period;code;amount"), b';');
        assert_eq!(detect_separator("a,b,\"c;d\""), b',');
        assert_eq!(detect_separator("a\tb\tc"), b'\t');
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(44197.0).unwrap(), "2021-01-01");
        assert_eq!(excel_date(45291.5).unwrap(), "2023-12-31");
    }
}
