//! `som pseudonymize`: write copies of case-data tables whose person ids are replaced by keyed
//! pseudonyms, so that the data can be handed on without CPR numbers. The same key always gives
//! the same pseudonyms; the key itself is never written.

use engine::Error;
use engine::casedata::pseudonymize_frame;
use engine::casedata::read::{ReadOptions, read_whole, table_bytes};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct PseudonymizeArgs {
    /// Table files (CSV, Parquet, Excel) with a person id column.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output folder; each table is written under its own name (Excel as CSV).
    #[arg(short, long)]
    pub out: PathBuf,
    /// File holding the key (at least 16 characters); default: SOM_PSEUDONYM_KEY.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

pub fn run(args: &PseudonymizeArgs) -> Result<String, Error> {
    let key = crate::cmd_check::pseudonym_key(args.key_file.as_deref())?;
    let mut files = Vec::new();
    let mut lines = Vec::new();
    for f in &args.files {
        let (info, mut df) = read_whole(f, &ReadOptions::default(), "")?;
        let column = pseudonymize_frame(&mut df, &info.file, &key)?;
        let (name, bytes) = table_bytes(&info, &mut df)?;
        lines.push(format!(
            "  {} → {name}: {} rows, column `{column}` pseudonymised",
            info.file,
            df.height()
        ));
        files.push((name, bytes));
    }
    let manifest = serde_json::json!({
        "format": "som-manifest/1",
        "som_version": engine::summary::VERSION,
        "command": "pseudonymize",
        "method": "P + first 20 hex digits of HMAC-SHA-256(key, id); CPR dashes removed first",
        "outputs": engine::summary::output_hashes(&files),
    });
    files.push((
        engine::summary::MANIFEST.to_string(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    ));
    engine::write_outputs(&args.out, &files)?;
    Ok(format!(
        "Pseudonymised {} tables into {}:\n{}",
        args.files.len(),
        args.out.display(),
        lines.join("\n")
    ))
}
