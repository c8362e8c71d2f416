//! Checking a scenario's `[budget]` section and compiling it into a [`Plan`] (a step of
//! `compile`): every problem a located diagnostic.

use crate::budget::plan::{CellRole, IndexUse, KeyUse, Plan, RefusionUse};
use crate::catalogue::refusion::{MAX_WEEK, RefusionCatalogue, RuleKind};
use crate::catalogue::{Catalogues, Status};
use crate::error::{Diagnostic, list, suggest};
use crate::model::{Cell, Entity, Item};
use crate::scenario::Scenario;
use crate::scenario::budget::{BudgetSection, Prices};
use crate::source::{FieldPath, Source};
use std::collections::BTreeMap;

/// What [`resolve`] needs of the model being compiled.
pub(crate) struct Context<'a> {
    pub sc: &'a Scenario,
    pub src: &'a Source,
    pub cat: &'a Catalogues,
    pub actors: &'a [Entity],
    pub departments: &'a [Entity],
    pub items: &'a [Item],
    pub cells: &'a [Cell],
    pub horizon: usize,
}

/// Check a `[budget]` section and compile it into a [`Plan`]; problems go to `diags`.
pub(crate) fn resolve(
    sec: &BudgetSection,
    cx: &Context<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    let n0 = diags.len();
    let root = FieldPath::root().key("budget");
    let src = cx.src;
    let sc = cx.sc;
    // The refusion rules: the scenario's catalogue, or the bundled one (a scenario compiled
    // without `io`, e.g. in tests).
    let builtin;
    let refusion_cat = match &cx.cat.refusion {
        Some(c) => Some(c),
        None => match RefusionCatalogue::builtin() {
            Ok(c) => {
                builtin = c;
                Some(&builtin)
            }
            Err(e) => {
                diags.extend(e.diagnostics().iter().cloned());
                None
            }
        },
    };
    let mut d = |path: &FieldPath, msg: String| diags.push(src.diag(path, msg));

    // Actors.
    let actor = |id: &str| cx.actors.iter().position(|a| a.id == id);
    let actor_ids: Vec<&str> = cx.actors.iter().map(|a| a.id.as_str()).collect();
    let muni_id = sec.municipality.as_deref().unwrap_or("kommune");
    let municipality = actor(muni_id);
    if municipality.is_none() {
        d(
            &root.key("municipality"),
            format!(
                "unknown actor `{muni_id}`{}; the department map `{}` has {}{}",
                suggest(muni_id, &actor_ids),
                cx.cat.departments.1.name,
                list(actor_ids.iter().copied()),
                if sec.municipality.is_none() {
                    " (give `municipality` in [budget])"
                } else {
                    ""
                }
            ),
        );
    }
    let state = match &sec.state {
        Some(s) => {
            let a = actor(s);
            if a.is_none() {
                d(
                    &root.key("state"),
                    format!(
                        "unknown actor `{s}`{}; the department map has {}",
                        suggest(s, &actor_ids),
                        list(actor_ids.iter().copied())
                    ),
                );
            }
            a
        }
        None => actor("stat"),
    };
    let muni = municipality.unwrap_or(usize::MAX);
    let departments: Vec<usize> = (0..cx.departments.len())
        .filter(|&i| cx.departments[i].actor == muni)
        .collect();
    let muni_ids: Vec<&str> = departments
        .iter()
        .map(|&i| cx.departments[i].id.as_str())
        .collect();
    let dept_pos = |id: &str| muni_ids.iter().position(|m| *m == id);
    // A department of the municipality, or a diagnostic at `path`.
    let municipal = |path: &FieldPath, id: &str, d: &mut dyn FnMut(&FieldPath, String)| {
        municipality?;
        match dept_pos(id) {
            Some(p) => Some(p),
            None => {
                let other = cx.departments.iter().find(|x| x.id == id);
                let msg = match other {
                    Some(x) => format!(
                        "department `{id}` belongs to actor `{}`, not to the municipality \
                         `{muni_id}`; the budget view covers {}",
                        cx.actors[x.actor].id,
                        list(muni_ids.iter().copied())
                    ),
                    None => format!(
                        "unknown department `{id}`{}; the municipality's departments are {}",
                        suggest(id, &muni_ids),
                        list(muni_ids.iter().copied())
                    ),
                };
                d(path, msg);
                None
            }
        }
    };

    // Budget years.
    let first_proj = sc.first_year;
    let last_proj = sc.first_year + cx.horizon as i32 - 1;
    let first = sec.first_year.unwrap_or(first_proj);
    let mut years = Vec::new();
    if !(first_proj..=last_proj).contains(&first) {
        d(
            &root.key("first_year"),
            format!("budget year {first} is outside the projection {first_proj}–{last_proj}"),
        );
    } else {
        let n = match sec.years {
            Some(0) => {
                d(&root.key("years"), "must be at least 1".into());
                0
            }
            Some(n) if first as i64 + n as i64 - 1 > last_proj as i64 => {
                d(
                    &root.key("years"),
                    format!(
                        "{n} budget years from {first} run to {}, beyond the projection's last \
                         year {last_proj}; shorten them or lengthen `horizon`",
                        first as i64 + n as i64 - 1
                    ),
                );
                0
            }
            Some(n) => n as i32,
            None => 4.min(last_proj - first + 1),
        };
        years = (0..n).map(|k| (first - first_proj + k) as usize).collect();
    }

    // Price indices.
    let price_year = sc.price_year;
    let target = |t: usize| match sec.prices {
        Prices::Current => first_proj + t as i32,
        Prices::BudgetYear => first,
    };
    let idx_cat = &cx.cat.price_index;
    let index_ids: Vec<&str> = idx_cat.0.indices.iter().map(|i| i.id.as_str()).collect();
    let mut indices: Vec<IndexUse> = Vec::new();
    let mut factors = vec![vec![1.0; years.len()]; departments.len()];
    let default_index = sec.index.as_deref().unwrap_or("budget_pl");
    let mut by_dept: Vec<(Option<usize>, &str, FieldPath)> =
        vec![(None, default_index, root.key("index")); departments.len()];
    for (dept, id) in &sec.department_index {
        let p = root.key("department_index").key(dept);
        if let Some(pos) = municipal(&p, dept, &mut d) {
            by_dept[pos] = (Some(pos), id.as_str(), p);
        }
    }
    let mut index_ok = true;
    for (pos, (_, id, path)) in by_dept.iter().enumerate() {
        let Some(index) = idx_cat.0.indices.iter().find(|i| i.id == *id) else {
            index_ok = false;
            if !indices.iter().any(|u| u.id == *id) {
                d(
                    path,
                    format!(
                        "unknown price index `{id}`{}; the index catalogue `{}` has {}",
                        suggest(id, &index_ids),
                        idx_cat.1.name,
                        list(index_ids.iter().copied())
                    ),
                );
                // Report an unknown index once.
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: String::new(),
                    source: String::new(),
                    date: None,
                    departments: Vec::new(),
                    factors: Vec::new(),
                    assumption_years: Vec::new(),
                });
            }
            continue;
        };
        let mut f = Vec::with_capacity(years.len());
        let mut missing = None;
        for &t in &years {
            match index.factor(price_year, target(t)) {
                Ok(x) => f.push(x),
                Err(y) => {
                    missing = Some((y, target(t)));
                    break;
                }
            }
        }
        if let Some((y, to)) = missing {
            index_ok = false;
            if !indices.iter().any(|u| u.id == *id) {
                d(
                    path,
                    format!(
                        "missing rate for a year: price index `{id}` has no rate for {y}, needed \
                         to move the scenario's {price_year} prices to {to} ({}; or choose \
                         another `index`)",
                        crate::builtin::where_to_add(&idx_cat.1.name, "price_index")
                    ),
                );
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: String::new(),
                    source: String::new(),
                    date: None,
                    departments: Vec::new(),
                    factors: Vec::new(),
                    assumption_years: Vec::new(),
                });
            }
            continue;
        }
        factors[pos] = f.clone();
        let dept_id = muni_ids[pos].to_string();
        match indices.iter_mut().find(|u| u.id == *id) {
            Some(u) => u.departments.push(dept_id),
            None => {
                let (lo, hi) = years.iter().fold((price_year, price_year), |(lo, hi), &t| {
                    (lo.min(target(t)), hi.max(target(t)))
                });
                let assumption_years = index
                    .rates
                    .iter()
                    .filter(|r| r.status == Status::Assumption && r.year > lo && r.year <= hi)
                    .map(|r| r.year)
                    .collect();
                indices.push(IndexUse {
                    id: id.to_string(),
                    name: index.name.en_or(&index.id),
                    source: index.source.clone(),
                    date: index.date.clone(),
                    departments: vec![dept_id],
                    factors: f,
                    assumption_years,
                })
            }
        }
    }
    indices.retain(|u| !u.departments.is_empty());

    // Refusion.
    let mut cell_share: Vec<Option<(f64, usize)>> = vec![None; cx.cells.len()];
    let mut refusion = Vec::new();
    for (i, r) in sec.refusion.iter().enumerate() {
        let p = root.key("refusion").index(i);
        let Some((rcat, rsrc)) = refusion_cat else {
            break;
        };
        let rule_ids: Vec<&str> = rcat.rules.iter().map(|r| r.id.as_str()).collect();
        let Some(rule) = rcat.rules.iter().find(|x| x.id == r.rule) else {
            d(
                &p.key("rule"),
                format!(
                    "unknown refusion rule `{}`{}; the refusion catalogue `{}` has {}",
                    r.rule,
                    suggest(&r.rule, &rule_ids),
                    rsrc.name,
                    list(rule_ids.iter().copied())
                ),
            );
            continue;
        };
        // The lines it names.
        let (applies_to, matched): (String, Vec<usize>) = match (&r.item, &r.line) {
            (Some(it), None) => (
                format!("item:{it}"),
                (0..cx.items.len())
                    .filter(|&k| cx.items[k].catalogue_id.as_deref() == Some(it.as_str()))
                    .collect(),
            ),
            (None, Some(l)) => (
                format!("line:{l}"),
                (0..cx.items.len())
                    .filter(|&k| cx.items[k].name == *l)
                    .collect(),
            ),
            _ => {
                d(
                    &p,
                    "give either `item` (a catalogue item) or `line` (a scenario line's name), \
                     not both"
                        .into(),
                );
                continue;
            }
        };
        if matched.is_empty() {
            let (field, msg) = match (&r.item, &r.line) {
                (Some(it), _) => (
                    "item",
                    format!("no line of the scenario is priced from item `{it}`"),
                ),
                (_, Some(l)) => {
                    let names: Vec<&str> = cx.items.iter().map(|x| x.name.as_str()).collect();
                    (
                        "line",
                        format!(
                            "no line of the scenario is named `{l}`{}",
                            suggest(l, &names)
                        ),
                    )
                }
                _ => ("item", String::new()),
            };
            d(&p.key(field), msg);
            continue;
        }
        let mut weeks = None;
        let mut case_cost = None;
        let mut thresholds = Vec::new();
        let share = match rule.kind {
            RuleKind::Spell => {
                if r.case_cost.is_some() {
                    d(
                        &p.key("case_cost"),
                        format!(
                            "`case_cost` goes with a `thresholds` rule; `{}` is a `spell` rule \
                             (give `weeks`)",
                            rule.id
                        ),
                    );
                }
                match r.weeks.as_deref() {
                    Some(&[a, b]) if a >= 1 && a <= b && b <= MAX_WEEK => {
                        weeks = Some([a, b]);
                        rule.spell_share(a, b)
                    }
                    Some(_) => {
                        d(
                            &p.key("weeks"),
                            format!(
                                "give the first and last week of the spell the line's benefit \
                                 falls in, `[first, last]` with 1 ≤ first ≤ last ≤ {MAX_WEEK}, \
                                 e.g. `[53, 104]`"
                            ),
                        );
                        continue;
                    }
                    None => {
                        d(
                            &p,
                            format!(
                                "rule `{}` needs `weeks`: the weeks of the citizen's spell on \
                                 benefits the line's benefit falls in, e.g. `weeks = [1, 52]` \
                                 for a spell's first year",
                                rule.id
                            ),
                        );
                        continue;
                    }
                }
            }
            RuleKind::Thresholds => {
                if r.weeks.is_some() {
                    d(
                        &p.key("weeks"),
                        format!(
                            "`weeks` goes with a `spell` rule; `{}` is a `thresholds` rule \
                             (give `case_cost`, or leave it to the item's price)",
                            rule.id
                        ),
                    );
                }
                let index_id = rule.index.as_deref().unwrap_or("general_pl");
                let ry = rule.year.unwrap_or(price_year);
                let factor = match idx_cat.0.indices.iter().find(|x| x.id == index_id) {
                    None => {
                        d(
                            &p.key("rule"),
                            format!(
                                "rule `{}` moves its thresholds with price index `{index_id}`, \
                                 which the index catalogue `{}` does not have",
                                rule.id, idx_cat.1.name
                            ),
                        );
                        continue;
                    }
                    Some(ix) => match ix.factor(ry, price_year) {
                        Ok(f) => f,
                        Err(y) => {
                            d(
                                &p.key("rule"),
                                format!(
                                    "missing rate for a year: price index `{index_id}` has no \
                                     rate for {y}, needed to move the thresholds of rule `{}` \
                                     from {ry} to the scenario's price year {price_year}",
                                    rule.id
                                ),
                            );
                            continue;
                        }
                    },
                };
                thresholds = rule.bands.iter().map(|b| b.above * factor).collect();
                let cost = match (r.case_cost, &r.item) {
                    (Some(c), _) if c.is_finite() && c > 0.0 => c,
                    (Some(c), _) => {
                        d(
                            &p.key("case_cost"),
                            format!("must be an annual cost above 0 kr., got {c}"),
                        );
                        continue;
                    }
                    (None, Some(it)) => match item_case_cost(cx, it, muni) {
                        Ok(c) => c,
                        Err(msg) => {
                            d(&p.key("item"), msg);
                            continue;
                        }
                    },
                    (None, None) => {
                        d(
                            &p,
                            format!(
                                "rule `{}` needs `case_cost`, the annual cost of one case in kr. \
                                 (price-year prices)",
                                rule.id
                            ),
                        );
                        continue;
                    }
                };
                case_cost = Some(cost);
                rule.case_refusion(cost, factor) / cost
            }
        };
        let mut clash = None;
        for (c, cell) in cx.cells.iter().enumerate() {
            if matched.contains(&cell.item) {
                match cell_share[c] {
                    Some((_, other)) => clash = Some(other),
                    None => cell_share[c] = Some((share, i)),
                }
            }
        }
        if let Some(other) = clash {
            d(
                &p,
                format!("these lines are already subject to refusion in budget.refusion[{other}]"),
            );
            continue;
        }
        refusion.push(RefusionUse {
            applies_to,
            lines: {
                let mut v: Vec<String> =
                    matched.iter().map(|&k| cx.items[k].name.clone()).collect();
                v.dedup();
                v
            },
            rule: rule.id.clone(),
            rule_name: rule.name.en_or(&rule.id),
            kind: rule.kind,
            weeks,
            case_cost,
            thresholds,
            share,
            source: rule.source.clone(),
            line_source: r.source.clone(),
        });
    }

    // Distribution keys.
    let mut keys = Vec::new();
    let mut given: BTreeMap<usize, (f64, Vec<usize>)> = BTreeMap::new();
    for (i, k) in sec.keys.iter().enumerate() {
        let p = root.key("key").index(i);
        let from = municipal(&p.key("from"), &k.from, &mut d);
        let to = municipal(&p.key("to"), &k.to, &mut d);
        let share_ok = k.share.is_finite() && (0.0..=1.0).contains(&k.share);
        if !share_ok {
            d(
                &p.key("share"),
                format!("must be a share between 0 and 1, got {}", k.share),
            );
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            d(
                &p.key("to"),
                format!(
                    "a key hands gains from one department to another; `from` and `to` are both `{}`",
                    k.to
                ),
            );
            continue;
        }
        if !share_ok {
            continue;
        }
        let e = given.entry(from).or_insert((0.0, Vec::new()));
        e.0 += k.share;
        e.1.push(i);
        if e.0 > 1.0 + 1e-9 {
            let listed: Vec<String> = e.1.iter().map(|j| format!("key[{j}]")).collect();
            let total = e.0;
            d(
                &p.key("share"),
                format!(
                    "the shares handed on from `{}` sum to {total} ({}); they can be at most 1",
                    k.from,
                    listed.join(", ")
                ),
            );
            continue;
        }
        keys.push(KeyUse {
            from: k.from.clone(),
            to: k.to.clone(),
            share: k.share,
            source: k.source.clone(),
            transfer: Vec::new(),
            transfer_total: 0.0,
            from_pos: from,
            to_pos: to,
        });
    }

    if diags.len() > n0 || municipality.is_none() || !index_ok {
        return None;
    }

    // How every cell enters the view.
    let cells: Vec<Option<CellRole>> = cx
        .cells
        .iter()
        .enumerate()
        .map(|(c, cell)| {
            let share = cell_share[c].map_or(0.0, |s| s.0);
            if cell.actor == muni {
                let dept = departments.iter().position(|&x| x == cell.department)?;
                Some(CellRole {
                    dept,
                    share,
                    state_part: false,
                })
            } else if Some(cell.actor) == state && cell_share[c].is_some() {
                // The state's part of a refused line goes to the department where the line's
                // municipal part lands (or the municipality's default department).
                let sibling = cx.cells.iter().find(|o| {
                    o.actor == muni
                        && o.arm == cell.arm
                        && o.component == cell.component
                        && o.item == cell.item
                });
                let dept_idx = match sibling {
                    Some(o) => o.department,
                    None => {
                        let def = &cx.cat.departments.0.actors[muni].default_department;
                        cx.departments.iter().position(|x| x.id == *def)?
                    }
                };
                let dept = departments.iter().position(|&x| x == dept_idx)?;
                Some(CellRole {
                    dept,
                    share,
                    state_part: true,
                })
            } else {
                None
            }
        })
        .collect();

    let price_level = match sec.prices {
        Prices::Current => "current prices (each year in its own p/l)".to_string(),
        Prices::BudgetYear => format!("{first} p/l"),
    };
    Some(Plan {
        municipality: muni,
        prices: sec.prices,
        years,
        departments,
        factors,
        cells,
        indices,
        refusion,
        keys,
        price_level,
    })
}

/// The annual cost of one case of a catalogue item: its price for the municipality in the
/// scenario's price year, when its unit is a year.
fn item_case_cost(cx: &Context<'_>, item: &str, muni: usize) -> std::result::Result<f64, String> {
    let Some(it) = cx.cat.prices.0.items.iter().find(|i| i.id == item) else {
        return Err(format!("unknown item `{item}`"));
    };
    let muni_id = &cx.actors[muni].id;
    let Some(&price) = it.price.get(muni_id) else {
        return Err(format!(
            "item `{item}` has no price for `{muni_id}`; give `case_cost`"
        ));
    };
    if !it.unit.ends_with("year") {
        return Err(format!(
            "the unit of item `{item}` is `{}`, not a year of one case: give `case_cost`, the \
             annual cost of one case in kr.",
            it.unit
        ));
    }
    let factor = cx
        .cat
        .price_index
        .0
        .indices
        .iter()
        .find(|i| i.id == it.index)
        .and_then(|i| i.factor(it.year, cx.sc.price_year).ok())
        .ok_or_else(|| {
            format!(
                "the price of item `{item}` cannot be moved to the scenario's price year; give \
                 `case_cost`"
            )
        })?;
    Ok(price * factor)
}
