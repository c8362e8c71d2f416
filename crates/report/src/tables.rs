//! The tables of a run as CSV text: the budget view (`budget.csv`) and the state-occupancy trace
//! (`markov_trace.csv`).

use som_core::budget::BudgetView;
use som_core::markov::results::MarkovReport;

/// File name of the budget view as a table.
pub const BUDGET_CSV: &str = "budget.csv";

/// Columns of `budget.csv`, in order.
pub const BUDGET_CSV_COLUMNS: &[&str] = &[
    "calendar_year",
    "department",
    "name",
    "ledger",
    "state_part",
    "gross",
    "refusion",
    "net",
    "transfer",
    "net_after_keys",
];

/// The budget view as CSV: one row per department and budget year, then the total's rows
/// (`department` = `total`); `,` between fields, `.` as decimal mark.
pub fn budget_csv(b: &BudgetView) -> String {
    let mut out = BUDGET_CSV_COLUMNS.join(",");
    out.push('\n');
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    for row in b.departments.iter().chain(std::iter::once(&b.total)) {
        for y in &row.years {
            let a = &y.amounts;
            out.push_str(&format!(
                "{},{},{},{:?},{:?},{:?},{:?},{:?},{:?},{:?}\n",
                y.calendar_year,
                quote(&row.id),
                quote(&row.name),
                a.ledger,
                a.state_part,
                a.gross,
                a.refusion,
                a.net,
                a.transfer,
                a.net_after_keys
            ));
        }
    }
    out
}

/// The trace as CSV: arm, point, then one column per state (a cohort of one).
pub fn markov_trace_csv(report: &MarkovReport) -> Vec<u8> {
    let mut out = String::from("arm,cycle");
    for s in &report.states {
        out.push(',');
        out.push_str(s);
    }
    out.push('\n');
    for (a, arm) in report.arms.iter().enumerate() {
        for (p, row) in report.trace[a].iter().enumerate() {
            out.push_str(&format!("{},{p}", arm.arm));
            for v in row {
                out.push_str(&format!(",{v}"));
            }
            out.push('\n');
        }
    }
    out.into_bytes()
}
