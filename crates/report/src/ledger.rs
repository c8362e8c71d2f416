//! The ledger: the long table of flows by year × arm × kind × item × actor × department, from
//! which every table and chart is a pivot. Built once per run, never per draw.

use ndarray::ArrayView2;
use polars::prelude::*;
use som_core::model::Model;

/// Column names of the ledger, in order (documented in `docs/scenario-format.md`).
pub const COLUMNS: &[&str] = &[
    "year",
    "calendar_year",
    "arm",
    "kind",
    "component",
    "item",
    "catalogue_item",
    "actor",
    "public",
    "department",
    "value",
    "incremental",
    "discount_factor",
    "present_value",
];

/// Build the ledger from the flows of one draw (`[cell, year]`), with `flows_pv` the same flows
/// restated for discounting where they are ([`som_core::evaluate::Flows::pv`]): a row's present value
/// is then its restated increment times the year's factor, and its `discount_factor` the
/// effective one, present_value / incremental.
pub fn ledger(
    model: &Model,
    flows: ArrayView2<f64>,
    flows_pv: Option<ArrayView2<f64>>,
) -> PolarsResult<DataFrame> {
    let h = model.horizon();
    let n = model.cells.len() * h;
    let mut year = Vec::with_capacity(n);
    let mut cal = Vec::with_capacity(n);
    let mut arm = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut component = Vec::with_capacity(n);
    let mut item = Vec::with_capacity(n);
    let mut cat_item: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut actor = Vec::with_capacity(n);
    let mut public = Vec::with_capacity(n);
    let mut dept = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut incr = Vec::with_capacity(n);
    let mut df = Vec::with_capacity(n);
    let mut pv = Vec::with_capacity(n);
    for (c, cell) in model.cells.iter().enumerate() {
        let it = &model.items[cell.item];
        for t in 0..h {
            let v = flows[[c, t]];
            // `+ 0.0` turns the −0.0 of a negated zero into 0.0.
            let inc = cell.arm.sign() * v + 0.0;
            year.push(t as i32);
            cal.push(model.years[t]);
            arm.push(cell.arm.as_str());
            kind.push(cell.component.kind().as_str());
            component.push(cell.component.as_str());
            item.push(it.name.as_str());
            cat_item.push(it.catalogue_id.as_deref());
            actor.push(model.actors[cell.actor].id.as_str());
            public.push(model.actors[cell.actor].public);
            dept.push(model.departments[cell.department].id.as_str());
            value.push(v);
            incr.push(inc);
            match flows_pv {
                None => {
                    df.push(model.discount[t]);
                    pv.push(inc * model.discount[t] + 0.0);
                }
                Some(fp) => {
                    let p = cell.arm.sign() * fp[[c, t]] * model.discount[t] + 0.0;
                    df.push(if inc != 0.0 {
                        p / inc
                    } else {
                        model.discount[t]
                    });
                    pv.push(p);
                }
            }
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("year".into(), year),
        Column::new("calendar_year".into(), cal),
        Column::new("arm".into(), arm),
        Column::new("kind".into(), kind),
        Column::new("component".into(), component),
        Column::new("item".into(), item),
        Column::new("catalogue_item".into(), cat_item),
        Column::new("actor".into(), actor),
        Column::new("public".into(), public),
        Column::new("department".into(), dept),
        Column::new("value".into(), value),
        Column::new("incremental".into(), incr),
        Column::new("discount_factor".into(), df),
        Column::new("present_value".into(), pv),
    ])
}
