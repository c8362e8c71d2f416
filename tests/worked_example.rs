//! Validation against the worked cost-benefit calculation in the Greater Manchester form
//! (HM Treasury, PSTN and New Economy, 'Supporting public service transformation: cost benefit
//! analysis guidance for local partnerships', 2014): som must reproduce every figure.

mod common;
use common::*;

fn approx(v: &serde_json::Value, want: f64, tol: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
}

#[test]
fn gmca_worked_example_reproduces_every_figure() {
    let out = scratch("gmca");
    let o = som(&[
        "run",
        "models/examples/gmca-worked-example.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&out.join("summary.json"));
    let total = &s["total"];
    approx(&total["cost_pv"], 165_000.0, 0.005);
    approx(&total["benefit_pv"], 290_932.00, 0.005);
    approx(&total["npv"], 125_932.00, 0.005);
    approx(&total["bcr"], 1.763224, 5e-7);
    assert_eq!(total["payback_year"], 2);
    approx(&s["net_outcomes"], 18.0, 1e-9);
    // Benefits by year, undiscounted.
    let years = total["years"].as_array().unwrap();
    approx(&years[0]["cost"], 165_000.0, 1e-6);
    approx(&years[1]["benefit"], 141_120.0, 1e-6);
    approx(&years[2]["benefit"], 98_784.0, 1e-6);
    approx(&years[3]["benefit"], 69_148.8, 1e-6);
    // Cumulative discounted net after year 1 and year 2.
    approx(&years[1]["cumulative_net_pv"], -28_652.0, 0.5);
    approx(&years[2]["cumulative_net_pv"], 63_564.0, 0.5);
    // Present value by agency.
    let by_actor = s["by_actor"].as_array().unwrap();
    let pv = |id: &str| by_actor.iter().find(|a| a["id"] == id).unwrap()["benefit_pv"].clone();
    approx(&pv("benefits_agency"), 274_129.20, 0.005);
    approx(&pv("health_service"), 16_802.81, 0.005);
    // The readable summary says the same.
    let text = stdout(&o);
    assert!(text.contains("165,000") && text.contains("290,932") && text.contains("125,932"));
    assert!(text.contains("2026 (year 2)"), "{text}");
}
