//! Data frames as file bytes, for the files an estimation and a check write.

use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;

/// A data frame as CSV bytes (comma-separated, point decimals, header row).
pub fn csv_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    CsvWriter::new(&mut out).finish(df)?;
    Ok(out)
}

/// A data frame as Parquet bytes.
pub fn parquet_bytes(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(df)?;
    Ok(out)
}
