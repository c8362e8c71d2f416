//! Resolve a scenario against its catalogues and compile it to a [`Model`].
//!
//! This is where every input error of a scenario is found: each check names the field by its
//! path, and the path is located in the file, so that the user gets file, line and field.
//! Problems are collected, not only the first.

use crate::catalogue::{Catalogues, PriceItem};
use crate::discount;
use crate::error::{Diagnostic, Error, Result, list, suggest};
use crate::estimates::Estimated;
use crate::model::*;
use crate::param::Param;
use crate::scenario::*;
use crate::source::{FieldPath, Seg, Source};
use std::collections::HashMap;

mod budget;
mod states;

// The allowed range of a numeric input is its `Domain`, recorded with each θ slot.
use crate::domain::Domain as Range;

/// Where a line lands: (actor, department, price per unit in the scenario's price year).
type Target = (usize, usize, f64);

/// The quantity fields shared by cost, replaced-service and consequence lines.
#[derive(Clone, Copy)]
struct Line<'s> {
    amount: Option<&'s Param>,
    item: Option<&'s str>,
    units: Option<&'s Param>,
    department: Option<&'s str>,
    actor: Option<&'s str>,
}

impl<'s> From<&'s CostLine> for Line<'s> {
    fn from(c: &'s CostLine) -> Self {
        Line {
            amount: c.amount.as_ref(),
            item: c.item.as_deref(),
            units: c.units.as_ref(),
            department: c.department.as_deref(),
            actor: c.actor.as_deref(),
        }
    }
}

impl<'s> From<&'s Consequence> for Line<'s> {
    fn from(c: &'s Consequence) -> Self {
        Line {
            amount: c.amount.as_ref(),
            item: c.item.as_deref(),
            units: c.units.as_ref(),
            department: c.department.as_deref(),
            actor: c.actor.as_deref(),
        }
    }
}

/// Largest horizon a scenario may have (years).
pub const MAX_HORIZON: u32 = 200;

/// The checked `[sensitivity]` section: tornado ranges (θ slot, low, high), switching-value
/// slots, and EVPPI groups (name, slots).
type SensitivityParts = (
    Vec<(usize, f64, f64)>,
    Vec<usize>,
    Vec<(String, Vec<usize>)>,
    Vec<(usize, usize, usize)>,
);

/// Most inputs in an EVPPI group (`[[sensitivity.group]]`): the regression's terms, and so the
/// draws it needs, grow with the square of the group's size.
pub const MAX_GROUP: usize = 5;

struct Builder<'a> {
    src: &'a Source,
    cat: &'a Catalogues,
    sc: &'a Scenario,
    estimates: Option<&'a Estimated>,
    /// Slots drawn jointly from the estimates' replicates (one set per run), with their
    /// replicate values.
    joint: Vec<(usize, Vec<f64>)>,
    diags: Vec<Diagnostic>,
    /// What the model leaves out without being wrong (a cohort whose intervention runs past
    /// the horizon): said in every output ([`crate::model::Model::warnings`]).
    warnings: Vec<Diagnostic>,
    params: Vec<ParamSlot>,
    items: Vec<Item>,
    cells: Vec<Cell>,
    cell_index: HashMap<Cell, usize>,
    shapes: Vec<Shape>,
    terms: Vec<Term>,
    actors: Vec<Entity>,
    departments: Vec<Entity>,
}

impl crate::loaded::Loaded {
    /// Compile the scenario against its catalogues and estimates.
    pub fn compile(&self) -> Result<crate::model::Model> {
        compile_with(
            &self.scenario,
            &self.source,
            &self.catalogues,
            self.estimates.as_ref(),
        )
    }
}

/// Compile a scenario (parsed from `src`) against its catalogues.
pub fn compile(sc: &Scenario, src: &Source, cat: &Catalogues) -> Result<Model> {
    compile_with(sc, src, cat, None)
}

/// Compile a scenario whose consequences may come from an estimates file.
pub fn compile_with(
    sc: &Scenario,
    src: &Source,
    cat: &Catalogues,
    estimates: Option<&Estimated>,
) -> Result<Model> {
    let map = &cat.departments.0;
    let actors: Vec<Entity> = map
        .actors
        .iter()
        .map(|a| Entity {
            id: a.id.clone(),
            name: a.name.en_or(&a.id),
            name_da: a.name.da.clone(),
            actor: 0,
            public: a.public,
        })
        .collect();
    let departments: Vec<Entity> = map
        .departments
        .iter()
        .map(|d| Entity {
            id: d.id.clone(),
            name: d.name.en_or(&d.id),
            name_da: d.name.da.clone(),
            actor: map.actors.iter().position(|a| a.id == d.actor).unwrap_or(0),
            public: true,
        })
        .collect();
    let b = Builder {
        src,
        cat,
        sc,
        estimates,
        joint: Vec::new(),
        diags: Vec::new(),
        warnings: Vec::new(),
        params: Vec::new(),
        items: Vec::new(),
        cells: Vec::new(),
        cell_index: HashMap::new(),
        shapes: Vec::new(),
        terms: Vec::new(),
        actors,
        departments,
    };
    b.build()
}

/// A scenario's frame: its first year and horizon (in years, at least 1).
struct Frame {
    first_year: i32,
    h: i64,
}

impl Frame {
    /// Whether calendar year `y` is within the projection.
    fn contains(&self, y: i32) -> bool {
        (0..self.h).contains(&((y - self.first_year) as i64))
    }

    fn last_year(&self) -> i64 {
        self.first_year as i64 + self.h - 1
    }
}

/// A scenario's discounting as compiled.
struct Discounting {
    /// Discount factor of each projection year.
    factors: Vec<f64>,
    /// The rate within each projection year t, r(t + 1).
    rates: Vec<f64>,
    /// The θ slot of a constant rate given as an input.
    rate: Option<usize>,
    /// The schedule's label and source, for the conventions.
    label: String,
    source: String,
}

/// The success rates of the success-rate form, as products of θ slots: with the intervention,
/// and without it (empty where the scenario gives the net rate).
struct Success {
    with: Vec<Factor>,
    without: Vec<Factor>,
}

/// What one form of scenario adds to a model.
enum FormParts {
    SuccessRate {
        participants: Vec<Product>,
        outcomes: Vec<(Arm, Product)>,
        success_rate: Option<usize>,
        joint: Vec<Joint>,
    },
    /// The compiled `[states]` section, if it could be compiled.
    States(Option<Box<crate::markov::Compiled>>),
}

/// Participants (one product per cohort) and successful outcomes per arm.
fn participants_and_outcomes(
    cohorts: &[(i64, usize)],
    success: &Success,
) -> (Vec<Product>, Vec<(Arm, Product)>) {
    let participants: Vec<Product> = cohorts
        .iter()
        .map(|&(_, n)| Product {
            constant: 1.0,
            factors: vec![Factor::id(n)],
        })
        .collect();
    let mut outcomes = Vec::new();
    for (arm, success) in [
        (Arm::Intervention, &success.with),
        (Arm::Baseline, &success.without),
    ] {
        if success.is_empty() {
            continue;
        }
        for &(_, n) in cohorts {
            let mut factors = vec![Factor::id(n)];
            factors.extend(success.iter().copied());
            outcomes.push((
                arm,
                Product {
                    constant: 1.0,
                    factors,
                },
            ));
        }
    }
    (participants, outcomes)
}

impl<'a> Builder<'a> {
    fn diag(&mut self, path: &FieldPath, msg: impl Into<String>) {
        self.diags.push(self.src.diag(path, msg));
    }

    fn warn(&mut self, path: &FieldPath, msg: impl Into<String>) {
        self.warnings.push(self.src.diag(path, msg));
    }

    fn param(&mut self, path: &FieldPath, p: &Param, range: Range) -> usize {
        if let Some(msg) = range.check(p.value) {
            self.diag(path, format!("{msg}, got {}", p.value));
        }
        if let Some(dist) = &p.dist {
            let (lo, hi) = dist.support();
            if let Some(msg) = range.check_support(lo, hi) {
                self.diag(
                    path,
                    format!("the distribution can take values from {lo} to {hi}; {msg}"),
                );
            } else if let Some(msg) = range.check_moments(dist.mean(), dist.variance().sqrt()) {
                self.diag(
                    path,
                    format!(
                        "{msg}; this {} has mean {} and standard deviation {}",
                        dist.name(),
                        dist.mean(),
                        dist.variance().sqrt()
                    ),
                );
            }
        }
        self.params.push(ParamSlot {
            name: path.to_string(),
            value: p.value,
            source: p.source.clone(),
            dist: p.dist.clone(),
            domain: range,
        });
        self.params.len() - 1
    }

    /// The θ slot of the input named `name` (a field path), or a diagnostic at `path`.
    fn input(&mut self, path: &FieldPath, name: &str) -> Option<usize> {
        if let Some(j) = self.params.iter().position(|p| p.name == name) {
            return Some(j);
        }
        let names: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        let msg = format!(
            "unknown input `{name}`{}; inputs are named by their field path: {}",
            suggest(name, &names),
            list(names.iter().copied())
        );
        self.diag(path, msg);
        None
    }

    /// The correlations of `[[correlation]]`, checked, as a copula.
    fn correlations(&mut self) -> Option<crate::correlation::Copula> {
        let sc = self.sc;
        if sc.correlations.is_empty() {
            return None;
        }
        let root = FieldPath::root().key("correlation");
        let mut slots: Vec<usize> = Vec::new();
        // (index of the entry, slot a, slot b, rho)
        let mut pairs: Vec<(usize, usize, usize, f64)> = Vec::new();
        let mut ok = true;
        for (i, c) in sc.correlations.iter().enumerate() {
            let p = root.index(i);
            if c.inputs.len() != 2 {
                self.diag(
                    &p.key("inputs"),
                    format!(
                        "give exactly two inputs to correlate, got {}; a correlation between \
                         more inputs is given pair by pair",
                        c.inputs.len()
                    ),
                );
                ok = false;
                continue;
            }
            let mut pair = [0usize; 2];
            let mut found = true;
            for (k, name) in c.inputs.iter().enumerate() {
                let ip = p.key("inputs").index(k);
                match self.input(&ip, name) {
                    Some(j) if self.params[j].dist.is_none() => {
                        self.diag(
                            &ip,
                            format!(
                                "input `{name}` has no distribution: only inputs drawn from a \
                         distribution (`dist`) can be correlated"
                            ),
                        );
                        found = false;
                    }
                    Some(j) => pair[k] = j,
                    None => found = false,
                }
            }
            if !(c.rho.is_finite() && (-1.0..=1.0).contains(&c.rho)) {
                self.diag(
                    &p.key("rho"),
                    format!("`rho` must be between −1 and 1, got {}", c.rho),
                );
                found = false;
            }
            if !found {
                ok = false;
                continue;
            }
            if pair[0] == pair[1] {
                self.diag(
                    &p.key("inputs"),
                    format!(
                        "an input cannot be correlated with itself (`{}`)",
                        c.inputs[0]
                    ),
                );
                ok = false;
                continue;
            }
            let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
            if let Some(&(first, ..)) = pairs.iter().find(|q| q.1 == a && q.2 == b) {
                self.diag(
                    &p.key("inputs"),
                    format!(
                        "the correlation between `{}` and `{}` is already given in \
                         correlation[{first}]",
                        c.inputs[0], c.inputs[1]
                    ),
                );
                ok = false;
                continue;
            }
            for j in [a, b] {
                if !slots.contains(&j) {
                    slots.push(j);
                }
            }
            pairs.push((i, a, b, c.rho));
        }
        if !ok {
            return None;
        }
        slots.sort_unstable();
        let k = slots.len();
        let at = |j: usize| slots.iter().position(|&s| s == j).unwrap_or(0);
        let mut r = vec![0.0; k * k];
        for i in 0..k {
            r[i * k + i] = 1.0;
        }
        for &(_, a, b, rho) in &pairs {
            let (x, y) = (at(a), at(b));
            r[x * k + y] = rho;
            r[y * k + x] = rho;
        }
        match crate::correlation::cholesky(&r, k) {
            Ok(chol) => Some(crate::correlation::Copula { slots, chol }),
            Err(j) => {
                // The last entry that involves the input where the factorisation failed.
                let culprit = slots[j];
                let involved: Vec<usize> = pairs
                    .iter()
                    .filter(|q| q.1 == culprit || q.2 == culprit)
                    .map(|q| q.0)
                    .collect();
                let at_entry = involved.last().copied().unwrap_or(0);
                let listed: Vec<String> = involved
                    .iter()
                    .map(|i| format!("correlation[{i}]"))
                    .collect();
                self.diag(
                    &root.index(at_entry).key("rho"),
                    format!(
                        "the correlations cannot hold together: the matrix they form is not \
                         positive semi-definite (no set of inputs can have these correlations \
                         at once); check {} with the other correlations of `{}`",
                        listed.join(", "),
                        self.params[culprit].name
                    ),
                );
                None
            }
        }
    }

    /// The `[sensitivity]` section: tornado ranges, switching-value inputs and EVPPI groups,
    /// checked.
    fn sensitivity(&mut self) -> SensitivityParts {
        let Some(sens) = &self.sc.sensitivity else {
            return (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        };
        let root = FieldPath::root().key("sensitivity");
        let mut ranges: Vec<(usize, f64, f64)> = Vec::new();
        for (i, r) in sens.ranges.iter().enumerate() {
            let p = root.key("range").index(i);
            let Some(j) = self.input(&p.key("input"), &r.input) else {
                continue;
            };
            if ranges.iter().any(|q| q.0 == j) {
                self.diag(
                    &p.key("input"),
                    format!("input `{}` has a range already", r.input),
                );
                continue;
            }
            let domain = self.params[j].domain;
            let mut ok = true;
            for (key, v) in [("low", r.low), ("high", r.high)] {
                if !v.is_finite() {
                    self.diag(&p.key(key), format!("must be a finite number, got {v}"));
                    ok = false;
                } else if let Some(msg) = domain.check(v) {
                    self.diag(
                        &p.key(key),
                        format!("{msg} (as input `{}` must), got {v}", r.input),
                    );
                    ok = false;
                }
            }
            if ok && r.low >= r.high {
                self.diag(
                    &p.key("high"),
                    format!("`low` ({}) must be below `high` ({})", r.low, r.high),
                );
                ok = false;
            }
            if ok {
                ranges.push((j, r.low, r.high));
            }
        }
        let mut switching = Vec::new();
        for (i, name) in sens.switching.iter().enumerate() {
            if let Some(j) = self.input(&root.key("switching").index(i), name)
                && !switching.contains(&j)
            {
                switching.push(j);
            }
        }
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, g) in sens.groups.iter().enumerate() {
            let p = root.key("group").index(i);
            if g.name.trim().is_empty() {
                self.diag(&p.key("name"), "give the group a name");
            } else if groups.iter().any(|(n, _)| *n == g.name) {
                self.diag(&p.key("name"), format!("a second group named `{}`", g.name));
            }
            if !(2..=MAX_GROUP).contains(&g.inputs.len()) {
                self.diag(
                    &p.key("inputs"),
                    format!(
                        "a group has 2 to {MAX_GROUP} inputs, got {} (one input's EVPPI is                          reported anyway)",
                        g.inputs.len()
                    ),
                );
                continue;
            }
            let mut slots = Vec::new();
            for (k, name) in g.inputs.iter().enumerate() {
                let q = p.key("inputs").index(k);
                let Some(j) = self.input(&q, name) else {
                    continue;
                };
                if self.params[j].dist.is_none() {
                    self.diag(
                        &q,
                        format!(
                            "input `{name}` is fixed (it has no distribution): knowing it first \
                             is worth nothing; give it a `dist` or leave it out of the group"
                        ),
                    );
                } else if slots.contains(&j) {
                    self.diag(&q, format!("input `{name}` is in the group twice"));
                } else {
                    slots.push(j);
                }
            }
            groups.push((g.name.clone(), slots));
        }
        let mut two_way = Vec::new();
        for (i, t) in sens.two_way.iter().enumerate() {
            let p = root.key("two_way").index(i);
            let steps = t.steps.unwrap_or(21);
            if !(3..=101).contains(&steps) {
                self.diag(
                    &p.key("steps"),
                    format!("grid points per input: 3 to 101, got {steps}"),
                );
            }
            let [a, b] = t.inputs.as_slice() else {
                self.diag(
                    &p.key("inputs"),
                    format!("a two-way grid has two inputs, got {}", t.inputs.len()),
                );
                continue;
            };
            if a == b {
                self.diag(&p.key("inputs").index(1), format!("input `{b}` twice"));
                continue;
            }
            let mut slots = Vec::new();
            for (k, name) in [a, b].into_iter().enumerate() {
                let q = p.key("inputs").index(k);
                let Some(j) = self.input(&q, name) else {
                    continue;
                };
                if self.params[j].dist.is_none() && !ranges.iter().any(|r| r.0 == j) {
                    self.diag(
                        &q,
                        format!(
                            "input `{name}` has no range to vary it over: give it a `dist`, or \
                             a [[sensitivity.range]] with `low` and `high`"
                        ),
                    );
                    continue;
                }
                slots.push(j);
            }
            if let [x, y] = slots[..] {
                two_way.push((x, y, steps.clamp(3, 101) as usize));
            }
        }
        if let Some(pop) = &sens.population {
            let p = root.key("population");
            if !(pop.per_year.is_finite() && pop.per_year > 0.0 && pop.per_year <= 1e9) {
                self.diag(
                    &p.key("per_year"),
                    format!(
                        "participants a year: above 0 and at most 1,000,000,000, got {}",
                        pop.per_year
                    ),
                );
            }
            if pop.years == 0 || pop.years > self.sc.horizon {
                self.diag(
                    &p.key("years"),
                    format!(
                        "years the decision holds: 1 to the horizon ({}), got {}",
                        self.sc.horizon, pop.years
                    ),
                );
            }
        }
        (ranges, switching, groups, two_way)
    }

    fn cell(&mut self, cell: Cell) -> usize {
        if let Some(&i) = self.cell_index.get(&cell) {
            return i;
        }
        self.cells.push(cell);
        self.cell_index.insert(cell, self.cells.len() - 1);
        self.cells.len() - 1
    }

    fn dept_index(&self, id: &str) -> Option<usize> {
        self.departments.iter().position(|d| d.id == id)
    }

    fn actor_index(&self, id: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.id == id)
    }

    fn default_dept_of_actor(&self, actor: usize) -> usize {
        let id = &self.cat.departments.0.actors[actor].default_department;
        self.dept_index(id).unwrap_or(0)
    }

    fn unknown_department(&mut self, path: &FieldPath, id: &str) {
        let ids: Vec<&str> = self.departments.iter().map(|d| d.id.as_str()).collect();
        let msg = format!(
            "unknown department `{id}`{}; expected one of {} (department map `{}`)",
            suggest(id, &ids),
            list(ids.iter().copied()),
            self.cat.departments.1.name
        );
        self.diag(path, msg);
    }

    fn unknown_actor(&mut self, path: &FieldPath, id: &str) {
        let ids: Vec<&str> = self.actors.iter().map(|d| d.id.as_str()).collect();
        let msg = format!(
            "unknown actor `{id}`{}; expected one of {}",
            suggest(id, &ids),
            list(ids.iter().copied())
        );
        self.diag(path, msg);
    }

    /// Where an amount line lands: (actor, department).
    fn place_amount(
        &mut self,
        path: &FieldPath,
        department: Option<&str>,
        actor: Option<&str>,
        fallback: Option<&str>,
    ) -> Option<(usize, usize)> {
        let actor_idx = match actor {
            Some(a) => match self.actor_index(a) {
                Some(i) => Some(i),
                None => {
                    self.unknown_actor(&path.key("actor"), a);
                    return None;
                }
            },
            None => None,
        };
        let (dept, dept_path) = match (department, actor_idx) {
            (Some(d), _) => (d, path.key("department")),
            (None, Some(a)) => return Some((a, self.default_dept_of_actor(a))),
            (None, None) => match fallback {
                // An unknown [intervention] department is reported once, where it is named.
                Some(d) if self.dept_index(d).is_none() => return None,
                Some(d) => (d, FieldPath::root().key("intervention").key("department")),
                None => {
                    let hint = if path.0.first() == Some(&Seg::Key("intervention".into())) {
                        "no department: give `department` (or `actor`) on this line, or \
                         `department` in [intervention]"
                    } else {
                        "no department: give `department` (or `actor`) on this line"
                    };
                    self.diag(path, hint);
                    return None;
                }
            },
        };
        let Some(d) = self.dept_index(dept) else {
            self.unknown_department(&dept_path, dept);
            return None;
        };
        let owner = self.departments[d].actor;
        if let Some(a) = actor_idx
            && a != owner
        {
            let msg = format!(
                "department `{dept}` belongs to actor `{}`, not `{}`",
                self.actors[owner].id, self.actors[a].id
            );
            self.diag(&path.key("actor"), msg);
            return None;
        }
        Some((owner, d))
    }

    /// Look up a catalogue item and price it in the scenario's price year, split by actor and
    /// department. Returns (actor, department, price per unit) triples.
    fn place_item(
        &mut self,
        path: &FieldPath,
        item_id: &str,
        department: Option<&str>,
        fallback: Option<&str>,
    ) -> Option<Vec<Target>> {
        let cat = &self.cat.prices.0;
        let Some(idx) = cat.items.iter().position(|i| i.id == item_id) else {
            let ids: Vec<&str> = cat.items.iter().map(|i| i.id.as_str()).collect();
            let msg = format!(
                "unknown item `{item_id}`{}; the price catalogue `{}` has {}",
                suggest(item_id, &ids),
                self.cat.prices.1.name,
                list(ids.iter().copied())
            );
            self.diag(&path.key("item"), msg);
            return None;
        };
        let item: &PriceItem = &cat.items[idx];
        let cat_path = FieldPath::root().key("item").index(idx);
        // Price-year factor.
        let index = self
            .cat
            .price_index
            .0
            .indices
            .iter()
            .find(|i| i.id == item.index);
        let Some(index) = index else {
            let d = self.cat.prices.1.diag(
                &cat_path.key("index"),
                format!(
                    "unknown price index `{}`; the index catalogue `{}` has {}",
                    item.index,
                    self.cat.price_index.1.name,
                    list(self.cat.price_index.0.indices.iter().map(|i| i.id.as_str()))
                ),
            );
            self.diags.push(d);
            return None;
        };
        let factor = match index.factor(item.year, self.sc.price_year) {
            Ok(f) => f,
            Err(missing) => {
                let msg = format!(
                    "missing price for a year: price index `{}` has no rate for {missing}, \
                     needed to move item `{item_id}` from {} prices to the scenario's price \
                     year {} ({})",
                    index.id,
                    item.year,
                    self.sc.price_year,
                    crate::builtin::where_to_add(&self.cat.price_index.1.name, "price_index")
                );
                self.diag(&path.key("item"), msg);
                return None;
            }
        };
        // The item's own department: named, or owned by its function in the department map.
        let map_name = &self.cat.departments.1.name;
        let own = match (&item.department, &item.function) {
            (Some(d), _) => match self.dept_index(d) {
                Some(i) => Some(i),
                None => {
                    let d = self.cat.prices.1.diag(
                        &cat_path.key("department"),
                        format!(
                            "item `{item_id}` names department `{d}`, which the department map \
                             `{map_name}` does not have"
                        ),
                    );
                    self.diags.push(d);
                    return None;
                }
            },
            (None, Some(f)) => match self.cat.departments.0.department_of_function(f) {
                Some(d) => self.dept_index(d),
                None => {
                    let d = self.cat.prices.1.diag(
                        &cat_path.key("function"),
                        format!(
                            "no department owns function `{f}` of item `{item_id}` in the \
                             department map `{map_name}`; add it to a department's `functions`"
                        ),
                    );
                    self.diags.push(d);
                    return None;
                }
            },
            (None, None) => None,
        };
        let line_dept = match department {
            Some(d) => match self.dept_index(d) {
                Some(i) => Some(i),
                None => {
                    self.unknown_department(&path.key("department"), d);
                    return None;
                }
            },
            None => None,
        };
        let mut out = Vec::new();
        for (actor_id, &price) in &item.price {
            let Some(a) = self.actor_index(actor_id) else {
                let ids: Vec<&str> = self.actors.iter().map(|d| d.id.as_str()).collect();
                let d = self.cat.prices.1.diag(
                    &cat_path.key("price").key(actor_id),
                    format!(
                        "unknown actor `{actor_id}`; the department map `{}` has {}",
                        self.cat.departments.1.name,
                        list(ids.iter().copied())
                    ),
                );
                self.diags.push(d);
                return None;
            };
            let fallback = fallback.and_then(|d| self.dept_index(d));
            let dept = [line_dept, fallback, own]
                .into_iter()
                .flatten()
                .find(|&d| self.departments[d].actor == a)
                .unwrap_or_else(|| self.default_dept_of_actor(a));
            out.push((a, dept, price * factor));
        }
        if let Some(d) = line_dept
            && !out.iter().any(|&(_, dd, _)| dd == d)
        {
            let msg = format!(
                "item `{item_id}` has no price for actor `{}`, which department `{}` belongs to",
                self.actors[self.departments[d].actor].id, self.departments[d].id
            );
            self.diag(&path.key("department"), msg);
            return None;
        }
        Some(out)
    }

    fn add_item(&mut self, name: &str, catalogue_id: Option<&str>, source: Option<&str>) -> usize {
        self.items.push(Item {
            name: name.to_string(),
            catalogue_id: catalogue_id.map(str::to_string),
            source: source.map(str::to_string),
        });
        self.items.len() - 1
    }

    /// Resolve a cost-like line (cost, replaced service, consequence) into the places it lands
    /// (actor, department, price per unit) and the θ slot of its quantity.
    fn line_targets(
        &mut self,
        path: &FieldPath,
        line: Line<'_>,
        fallback_dept: Option<&str>,
        range: Range,
    ) -> Option<(Vec<Target>, usize)> {
        match (line.amount, line.item, line.units) {
            (Some(a), None, None) => {
                let q = self.param(&path.key("amount"), a, range);
                let (ac, d) =
                    self.place_amount(path, line.department, line.actor, fallback_dept)?;
                Some((vec![(ac, d, 1.0)], q))
            }
            (None, Some(it), Some(u)) => {
                if line.actor.is_some() {
                    self.diag(
                        &path.key("actor"),
                        "`actor` goes with `amount`; a catalogue item is split by actor in the \
                         price catalogue",
                    );
                    return None;
                }
                let q = self.param(&path.key("units"), u, range);
                let targets = self.place_item(path, it, line.department, fallback_dept)?;
                Some((targets, q))
            }
            (None, Some(_), None) => {
                self.diag(
                    path,
                    "`item` needs `units` (units per participant per year)",
                );
                None
            }
            (None, None, Some(_)) => {
                self.diag(path, "`units` needs `item` (a unit-price catalogue id)");
                None
            }
            _ => {
                self.diag(
                    path,
                    "give either `amount`, or `item` with `units`, and not both",
                );
                None
            }
        }
    }

    fn shape_of(&mut self, path: &FieldPath, p: &Persistence) -> usize {
        let forms = [
            p.profile.is_some(),
            p.decay.is_some(),
            p.half_life.is_some(),
        ];
        if forms.iter().filter(|&&x| x).count() > 1 {
            self.diag(
                path,
                "give at most one of `profile`, `decay` and `half_life`",
            );
        }
        let persistence = if let Some(v) = &p.profile {
            if v.is_empty() {
                self.diag(
                    &path.key("profile"),
                    "is empty, which would make the effect 0 in every year; give the share \
                     of the effect in each year since onset, e.g. [1.0, 0.8, 0.5], or leave \
                     `profile` out for a full effect",
                );
            }
            let mut slots = Vec::new();
            for (i, x) in v.iter().enumerate() {
                slots.push(self.param(&path.key("profile").index(i), x, Range::NonNegative));
            }
            Persist::Profile(slots)
        } else if let Some(d) = &p.decay {
            Persist::Decay(self.param(&path.key("decay"), d, Range::Share))
        } else if let Some(h) = &p.half_life {
            Persist::HalfLife(self.param(&path.key("half_life"), h, Range::Positive))
        } else {
            Persist::Full
        };
        let mut phase_in = Vec::new();
        for (i, x) in p.phase_in.iter().flatten().enumerate() {
            phase_in.push(self.param(&path.key("phase_in").index(i), x, Range::NonNegative));
        }
        if p.years == Some(0) {
            self.diag(&path.key("years"), "must be at least 1 (or leave it out)");
        }
        self.shapes.push(Shape::Effect {
            persistence,
            years: p.years,
            phase_in,
        });
        self.shapes.len() - 1
    }

    /// Compile the scenario: its frame, discounting, adjustments and cohorts, then one of the
    /// two forms, then what every model shares ([`Builder::finish`]).
    fn build(mut self) -> Result<Model> {
        let frame = self.frame();
        let disc = self.discounting(frame.h);
        let (uplift, reduction) = self.adjustments();
        let cohorts = self.cohorts(&frame);
        // The state-transition form replaces the success rate, the intervention and the
        // consequences (compile/states.rs).
        if let Some(st) = &self.sc.states {
            return self.build_states(st, &cohorts, disc, uplift, reduction);
        }
        self.require_success_form();
        let success = self.success();
        let duration = self.intervention(&frame, &cohorts, uplift);
        self.consequences(&cohorts, &success, duration, reduction);
        let (participants, outcomes) = participants_and_outcomes(&cohorts, &success);
        let form = FormParts::SuccessRate {
            participants,
            outcomes,
            success_rate: success.with.first().map(|f| f.param),
            joint: self.joint_sets(),
        };
        self.finish(disc, form)
    }

    /// The scenario's frame: its format, horizon and years.
    fn frame(&mut self) -> Frame {
        let sc = self.sc;
        let root = FieldPath::root();
        if let Some(f) = &sc.format
            && f != FORMAT_V1
        {
            self.diag(
                &root.key("format"),
                format!("unknown format `{f}`; this som reads `{FORMAT_V1}`"),
            );
        }
        if sc.horizon == 0 || sc.horizon > MAX_HORIZON {
            self.diag(
                &root.key("horizon"),
                format!(
                    "must be between 1 and {MAX_HORIZON} years, got {}",
                    sc.horizon
                ),
            );
        }
        for (field, y) in [("price_year", sc.price_year), ("first_year", sc.first_year)] {
            if !(1900..=2200).contains(&y) {
                self.diag(&root.key(field), format!("must be a year, got {y}"));
            }
        }
        let h = sc.horizon.clamp(1, MAX_HORIZON) as i64;
        Frame {
            first_year: sc.first_year,
            h,
        }
    }

    /// The discount factors of the projection years: a schedule from the catalogue, or a
    /// constant rate that is an input (and may be drawn).
    fn discounting(&mut self, h: i64) -> Discounting {
        let sc = self.sc;
        let root = FieldPath::root();
        let mut discount_rate = None;
        let (rate_fn, schedule_label, schedule_source): (Box<dyn Fn(u32) -> f64>, String, String) =
            match (&sc.discounting.schedule, &sc.discounting.rate) {
                (Some(_), Some(_)) => {
                    self.diag(
                        &root.key("discounting"),
                        "give either `schedule` or `rate`, not both",
                    );
                    (Box::new(|_| 0.0), String::new(), String::new())
                }
                (None, Some(r)) => {
                    let p = root.key("discounting").key("rate");
                    let slot = self.param(&p, r, Range::Rate);
                    discount_rate = Some(slot);
                    let v = self.params[slot].value;
                    (
                        Box::new(move |_| v),
                        format!("constant {:.4}", v),
                        r.source
                            .clone()
                            .unwrap_or_else(|| "given in the scenario".into()),
                    )
                }
                (s, None) => {
                    let id = s.as_deref().unwrap_or("dk-fm-2021");
                    match self.cat.discount.0.schedules.iter().find(|x| x.id == id) {
                        Some(sch) => {
                            let sch = sch.clone();
                            let label = sch.id.clone();
                            let source = sch.source.clone();
                            (Box::new(move |u| sch.rate(u)), label, source)
                        }
                        None => {
                            let ids: Vec<&str> = self
                                .cat
                                .discount
                                .0
                                .schedules
                                .iter()
                                .map(|s| s.id.as_str())
                                .collect();
                            let msg = format!(
                                "unknown discount schedule `{id}`{}; `{}` has {}",
                                suggest(id, &ids),
                                self.cat.discount.1.name,
                                list(ids.iter().copied())
                            );
                            self.diag(&root.key("discounting").key("schedule"), msg);
                            (Box::new(|_| 0.0), String::new(), String::new())
                        }
                    }
                }
            };
        let timing = sc.discounting.timing;
        let discount = discount::factors(&*rate_fn, h as u32, timing);
        // The rate within each projection year t, r(t + 1).
        let rates: Vec<f64> = (0..h as u32).map(|t| rate_fn(t + 1)).collect();
        Discounting {
            factors: discount,
            rates,
            rate: discount_rate,
            label: schedule_label,
            source: schedule_source,
        }
    }

    /// The optimism-bias adjustments: the cost uplift and the benefit reduction, as θ slots.
    fn adjustments(&mut self) -> (Option<usize>, Option<usize>) {
        let sc = self.sc;
        let root = FieldPath::root();
        let adj = root.key("adjustments");
        let uplift = sc
            .adjustments
            .cost_uplift
            .as_ref()
            .map(|p| self.param(&adj.key("cost_uplift"), p, Range::AboveMinusOne));
        let reduction = sc
            .adjustments
            .benefit_reduction
            .as_ref()
            .map(|p| self.param(&adj.key("benefit_reduction"), p, Range::Share));
        (uplift, reduction)
    }

    /// The cohorts: (first projection year, θ slot of the participants) each.
    fn cohorts(&mut self, frame: &Frame) -> Vec<(i64, usize)> {
        let sc = self.sc;
        let root = FieldPath::root();
        if sc.cohorts.is_empty() {
            self.diag(&root, "at least one [[cohort]] is needed");
        }
        let mut cohorts = Vec::new();
        for (i, c) in sc.cohorts.iter().enumerate() {
            let p = root.key("cohort").index(i);
            if !frame.contains(c.start) {
                self.diag(
                    &p.key("start"),
                    format!(
                        "start year {} is outside the projection {}–{}",
                        c.start,
                        sc.first_year,
                        frame.last_year()
                    ),
                );
            }
            let n = self.param(&p.key("participants"), &c.participants, Range::NonNegative);
            cohorts.push(((c.start - sc.first_year) as i64, n));
        }
        cohorts
    }

    /// The success-rate form needs its `[intervention]` and `[success]`.
    fn require_success_form(&mut self) {
        let root = FieldPath::root();
        for (key, what) in [("intervention", "[intervention]"), ("success", "[success]")] {
            if self.src.locate(&root.key(key)).is_none() {
                self.diag(
                    &root,
                    format!(
                        "missing {what}: a scenario gives either the success-rate form \
                         ([intervention], [success], [[consequence]]) or [states]"
                    ),
                );
            }
        }
    }

    /// The success rates with and without the intervention, as products of θ slots.
    fn success(&mut self) -> Success {
        let sc = self.sc;
        let root = FieldPath::root();
        let sp = root.key("success");
        let s = &sc.success;
        let forms = [
            s.net.is_some(),
            s.with.is_some() || s.without.is_some(),
            s.rate.is_some() || s.deadweight.is_some(),
        ];
        let (with_f, without_f): (Vec<Factor>, Vec<Factor>) =
            if forms.iter().filter(|&&x| x).count() != 1 {
                self.diag(
                    &sp,
                    "give exactly one of: `net`; `with` and `without`; `rate` (with `deadweight`)",
                );
                (vec![], vec![])
            } else if let Some(n) = &s.net {
                (
                    vec![Factor::id(self.param(&sp.key("net"), n, Range::Share))],
                    vec![],
                )
            } else if forms[1] {
                match (&s.with, &s.without) {
                    (Some(w), Some(wo)) => {
                        let w = self.param(&sp.key("with"), w, Range::Share);
                        let wo = self.param(&sp.key("without"), wo, Range::Share);
                        (vec![Factor::id(w)], vec![Factor::id(wo)])
                    }
                    _ => {
                        self.diag(&sp, "`with` and `without` go together");
                        (vec![], vec![])
                    }
                }
            } else {
                match &s.rate {
                    Some(r) => {
                        let r = self.param(&sp.key("rate"), r, Range::Share);
                        match &s.deadweight {
                            Some(d) => {
                                let d = self.param(&sp.key("deadweight"), d, Range::Share);
                                (vec![Factor::id(r)], vec![Factor::id(r), Factor::id(d)])
                            }
                            None => (vec![Factor::id(r)], vec![]),
                        }
                    }
                    None => {
                        self.diag(&sp, "`deadweight` needs `rate`");
                        (vec![], vec![])
                    }
                }
            };
        Success {
            with: with_f,
            without: without_f,
        }
    }

    /// The intervention's costs, the services it replaces and its start-up costs; returns its
    /// duration in years.
    fn intervention(
        &mut self,
        frame: &Frame,
        cohorts: &[(i64, usize)],
        uplift: Option<usize>,
    ) -> u32 {
        let sc = self.sc;
        let root = FieldPath::root();
        let ip = root.key("intervention");
        let iv = &sc.intervention;
        if iv.duration == 0 {
            self.diag(&ip.key("duration"), "must be at least 1 year");
        }
        if let Some(d) = &iv.department
            && self.dept_index(d).is_none()
        {
            self.unknown_department(&ip.key("department"), d);
        }
        let duration = iv.duration.max(1);
        // A cohort still in the intervention at the horizon: the rest of its years are cut.
        for (i, c) in sc.cohorts.iter().enumerate() {
            let first = i64::from(c.start - sc.first_year);
            let end = first + i64::from(duration);
            if (0..frame.h).contains(&first) && end > frame.h {
                let last = c.start + duration as i32 - 1;
                self.warn(
                    &root.key("cohort").index(i).key("start"),
                    format!(
                        "the cohort starting in {} is in the intervention until {last}, past the \
                         horizon's last year {}: its {} year(s) from {} on (their costs, and \
                         the consequences after them) are not counted; `horizon = {end}` \
                         would count them",
                        c.start,
                        frame.last_year(),
                        end - frame.h,
                        frame.last_year() + 1
                    ),
                );
            }
        }
        let window_years = self.push_shape(Shape::Window(duration));
        let window_once = self.push_shape(Shape::Window(1));
        let fallback = iv.department.as_deref();
        check_names(self, &ip.key("cost"), iv.costs.iter().map(|c| &c.name));
        check_names(
            self,
            &ip.key("replaces"),
            iv.replaces.iter().map(|c| &c.name),
        );
        check_names(self, &ip.key("startup"), iv.startup.iter().map(|c| &c.name));
        check_names(
            self,
            &root.key("consequence"),
            sc.consequences.iter().map(|c| &c.name),
        );
        for (list_name, lines, arm, component) in [
            (
                "cost",
                &iv.costs,
                Arm::Intervention,
                Component::InterventionCost,
            ),
            (
                "replaces",
                &iv.replaces,
                Arm::Baseline,
                Component::ReplacedService,
            ),
        ] {
            for (i, c) in lines.iter().enumerate() {
                let p = ip.key(list_name).index(i);
                // A replaced catalogue service stays with the department that provides it.
                let fb = if component == Component::ReplacedService && c.item.is_some() {
                    None
                } else {
                    fallback
                };
                let Some((targets, q)) = self.line_targets(&p, c.into(), fb, Range::NonNegative)
                else {
                    continue;
                };
                let item = self.add_item(&c.name, c.item.as_deref(), c.source.as_deref());
                let shape = match c.per {
                    Per::Year => window_years,
                    Per::Participant => window_once,
                };
                for &(actor, department, price) in &targets {
                    let cell = self.cell(Cell {
                        arm,
                        component,
                        actor,
                        department,
                        item,
                    });
                    for &(first, n) in cohorts {
                        let mut factors = vec![Factor::id(n), Factor::id(q)];
                        if component == Component::InterventionCost
                            && let Some(u) = uplift
                        {
                            factors.push(Factor {
                                param: u,
                                op: Op::OnePlus,
                            });
                        }
                        self.terms.push(Term {
                            cell,
                            product: Product {
                                constant: price,
                                factors,
                            },
                            shape,
                            first,
                        });
                    }
                }
            }
        }
        for (i, st) in iv.startup.iter().enumerate() {
            let p = ip.key("startup").index(i);
            if !frame.contains(st.year) {
                self.diag(
                    &p.key("year"),
                    format!(
                        "year {} is outside the projection {}–{}",
                        st.year,
                        sc.first_year,
                        frame.last_year()
                    ),
                );
            }
            let q = self.param(&p.key("amount"), &st.amount, Range::NonNegative);
            let Some((actor, department)) =
                self.place_amount(&p, st.department.as_deref(), st.actor.as_deref(), fallback)
            else {
                continue;
            };
            let item = self.add_item(&st.name, None, st.source.as_deref());
            let cell = self.cell(Cell {
                arm: Arm::Intervention,
                component: Component::Startup,
                actor,
                department,
                item,
            });
            let mut factors = vec![Factor::id(q)];
            if let Some(u) = uplift {
                factors.push(Factor {
                    param: u,
                    op: Op::OnePlus,
                });
            }
            self.terms.push(Term {
                cell,
                product: Product {
                    constant: 1.0,
                    factors,
                },
                shape: window_once,
                first: (st.year - sc.first_year) as i64,
            });
        }
        duration
    }

    /// The consequences of success: each line in both arms, times the arm's success rate and
    /// the line's persistence; estimated lines from the estimates file.
    fn consequences(
        &mut self,
        cohorts: &[(i64, usize)],
        success: &Success,
        duration: u32,
        reduction: Option<usize>,
    ) {
        let sc = self.sc;
        let root = FieldPath::root();
        let default_shape = self.shape_of(&root.key("persistence"), &sc.persistence);
        let default_onset = sc.persistence.onset.unwrap_or_default();
        if sc.consequences.is_empty() {
            self.diag(&root, "at least one [[consequence]] is needed");
        }
        for (i, c) in sc.consequences.iter().enumerate() {
            let p = root.key("consequence").index(i);
            if let Some(name) = &c.estimated {
                self.estimated_consequence(&p, c, name, cohorts, reduction);
                continue;
            }
            let Some((targets, q)) = self.line_targets(&p, c.into(), None, Range::Any) else {
                continue;
            };
            let (shape, onset) = match &c.persistence {
                Some(ps) => (
                    self.shape_of(&p.key("persistence"), ps),
                    ps.onset.unwrap_or(default_onset),
                ),
                None => (default_shape, default_onset),
            };
            let item = self.add_item(&c.name, c.item.as_deref(), c.source.as_deref());
            for &(actor, department, price) in &targets {
                for (arm, success) in [
                    (Arm::Intervention, &success.with),
                    (Arm::Baseline, &success.without),
                ] {
                    if success.is_empty() {
                        continue;
                    }
                    let cell = self.cell(Cell {
                        arm,
                        component: Component::Consequence,
                        actor,
                        department,
                        item,
                    });
                    for &(start, n) in cohorts {
                        let mut factors = vec![Factor::id(n)];
                        factors.extend(success.iter().copied());
                        factors.push(Factor::id(q));
                        // Optimism bias reduces savings only: an adverse consequence (extra
                        // expenditure) is never made smaller by it.
                        let saving = price * self.params[q].value < 0.0;
                        if let Some(r) = reduction.filter(|_| saving) {
                            factors.push(Factor {
                                param: r,
                                op: Op::OneMinus,
                            });
                        }
                        let first = match onset {
                            Onset::AfterExit => start + duration as i64,
                            Onset::AtStart => start,
                        };
                        self.terms.push(Term {
                            cell,
                            product: Product {
                                constant: price,
                                factors,
                            },
                            shape,
                            first,
                        });
                    }
                }
            }
        }
    }

    /// One joint set: every estimated slot takes the same replicate in a draw.
    fn joint_sets(&self) -> Vec<Joint> {
        match self.estimates {
            Some(est) if !self.joint.is_empty() => {
                let k = self.joint.len();
                let r = est.replicates;
                let mut values = vec![0.0; r * k];
                for (j, (_, v)) in self.joint.iter().enumerate() {
                    for (b, x) in v.iter().enumerate().take(r) {
                        values[b * k + j] = *x;
                    }
                }
                vec![Joint {
                    slots: self.joint.iter().map(|j| j.0).collect(),
                    replicates: r,
                    values,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// What every model shares, whichever its form: the correlations, the sensitivity
    /// analysis's ranges and switching values, and the budget view's plan; then the model, or
    /// every problem found.
    fn finish(mut self, disc: Discounting, form: FormParts) -> Result<Model> {
        let sc = self.sc;
        let h = disc.factors.len();
        let correlation = self.correlations();
        let (ranges, switching, evppi_groups, two_way) = self.sensitivity();
        let budget = sc.budget.as_ref().and_then(|sec| {
            let cx = budget::Context {
                sc,
                src: self.src,
                cat: self.cat,
                actors: &self.actors,
                departments: &self.departments,
                items: &self.items,
                cells: &self.cells,
                horizon: h,
            };
            budget::resolve(sec, &cx, &mut self.diags)
        });
        if !self.diags.is_empty() {
            return Err(Error::Invalid(self.diags));
        }
        let (participants, outcomes, success_rate, joint, markov) = match form {
            FormParts::SuccessRate {
                participants,
                outcomes,
                success_rate,
                joint,
            } => (participants, outcomes, success_rate, joint, None),
            FormParts::States(Some(markov)) => {
                (Vec::new(), Vec::new(), None, Vec::new(), Some(markov))
            }
            FormParts::States(None) => {
                return Err(Error::Invalid(vec![self.src.diag(
                    &FieldPath::root().key("states"),
                    "the [states] section could not be compiled",
                )]));
            }
        };
        let years = (0..h).map(|t| sc.first_year + t as i32).collect();
        Ok(Model {
            name: sc.name.clone(),
            municipality: sc.municipality.clone(),
            currency: sc.currency(),
            first_year: sc.first_year,
            years,
            discount: disc.factors,
            conventions: conventions(sc, disc.label, disc.source),
            actors: self.actors,
            departments: self.departments,
            items: self.items,
            cells: self.cells,
            params: self.params,
            shapes: self.shapes,
            terms: self.terms,
            participants,
            outcomes,
            discount_rate: disc.rate,
            success_rate,
            correlation,
            joint,
            ranges,
            switching,
            evppi_groups,
            two_way,
            decision_population: sc
                .sensitivity
                .as_ref()
                .and_then(|s| s.population.as_ref())
                .map(|p| (p.per_year, p.years)),
            budget,
            markov,
            warnings: self.warnings,
        })
    }

    /// The model of a scenario in the state-transition form (`[states]`).
    fn build_states(
        mut self,
        st: &crate::scenario::states::States,
        cohorts: &[(i64, usize)],
        disc: Discounting,
        uplift: Option<usize>,
        reduction: Option<usize>,
    ) -> Result<Model> {
        let sc = self.sc;
        let root = FieldPath::root();
        for (key, given) in [
            (
                "intervention",
                self.src.locate(&root.key("intervention")).is_some(),
            ),
            ("success", self.src.locate(&root.key("success")).is_some()),
            ("consequence", !sc.consequences.is_empty()),
            (
                "persistence",
                self.src.locate(&root.key("persistence")).is_some(),
            ),
        ] {
            if given {
                self.diag(
                    &root.key(key),
                    format!(
                        "`{key}` belongs to the success-rate form and is not used with [states]: \
                         put costs on states (`[[states.cost]]`) and transitions instead"
                    ),
                );
            }
        }
        if uplift.is_some() || reduction.is_some() {
            self.diag(
                &root.key("adjustments"),
                "optimism-bias adjustments are not applied to [states]; leave [adjustments] out",
            );
        }
        let markov = self.states(st, cohorts, &disc.factors, disc.rates.clone(), disc.rate);
        if let Some(mk) = &markov
            && self.diags.is_empty()
        {
            self.rows_over_one(st, mk);
            self.past_horizon(st, mk, disc.factors.len());
        }
        self.finish(disc, FormParts::States(markov.map(Box::new)))
    }

    /// A consequence taken from the estimates file: one θ slot per year since start (the
    /// effect per participant, drawn jointly from the bootstrap replicates), in the
    /// intervention arm only and not multiplied by the success rate.
    fn estimated_consequence(
        &mut self,
        p: &FieldPath,
        c: &Consequence,
        name: &str,
        cohorts: &[(i64, usize)],
        reduction: Option<usize>,
    ) {
        let Some(est) = self.estimates else {
            self.diag(
                &p.key("estimated"),
                "needs an estimates file: add `[estimates] file = \"…/estimates.json\"` \
                 (written by `som estimate --out`)",
            );
            return;
        };
        for (key, given) in [
            ("item", c.item.is_some()),
            ("units", c.units.is_some()),
            ("amount", c.amount.is_some()),
            ("persistence", c.persistence.is_some()),
        ] {
            if given {
                self.diag(
                    &p.key(key),
                    format!(
                        "`{key}` cannot be given with `estimated`: the estimates give the \
                         amount per participant for every year since start"
                    ),
                );
            }
        }
        if !est.departments.iter().any(|d| d == name) {
            let known: Vec<&str> = est.departments.iter().map(String::as_str).collect();
            self.diag(
                &p.key("estimated"),
                format!(
                    "the estimates `{}` have no department `{name}`{}; they have {}",
                    est.name(),
                    suggest(name, &known),
                    list(known.iter().copied())
                ),
            );
            return;
        }
        let years = est.years(name);
        if years.is_empty() {
            self.diag(
                &p.key("estimated"),
                format!(
                    "`{name}` has no effect for year 0 in `{}` (suppressed or not estimated)",
                    est.name()
                ),
            );
            return;
        }
        let fallback = (name != crate::estimates::TOTAL).then_some(name);
        if c.department.is_none() && fallback.is_none() {
            self.diag(
                &p.key("department"),
                "the estimated total spans departments: give the `department` it lands on",
            );
            return;
        }
        let Some((actor, department)) =
            self.place_amount(p, c.department.as_deref(), c.actor.as_deref(), fallback)
        else {
            return;
        };
        let mut slots = Vec::with_capacity(years.len());
        for &(k, e) in &years {
            let draws = est.draws.get(&(name.to_string(), k));
            let dist = draws.and_then(|v| crate::dist::Dist::discrete(v.clone(), None).ok());
            self.params.push(ParamSlot {
                name: format!("{p}.estimated[{k}]"),
                value: e,
                source: Some(format!("{} ({})", est.name(), est.study)),
                dist,
                domain: Range::Any,
            });
            let slot = self.params.len() - 1;
            if let Some(v) = draws {
                self.joint.push((slot, v.clone()));
            }
            slots.push(slot);
        }
        let saving = years.iter().map(|y| y.1).sum::<f64>() < 0.0;
        let shape = self.push_shape(Shape::Effect {
            persistence: Persist::Profile(slots),
            years: None,
            phase_in: Vec::new(),
        });
        let item = self.add_item(&c.name, None, c.source.as_deref());
        let cell = self.cell(Cell {
            arm: Arm::Intervention,
            component: Component::Consequence,
            actor,
            department,
            item,
        });
        for &(start, n) in cohorts {
            let mut factors = vec![Factor::id(n)];
            if let Some(r) = reduction.filter(|_| saving) {
                factors.push(Factor {
                    param: r,
                    op: Op::OneMinus,
                });
            }
            self.terms.push(Term {
                cell,
                product: Product {
                    constant: 1.0,
                    factors,
                },
                shape,
                first: start,
            });
        }
    }

    fn push_shape(&mut self, s: Shape) -> usize {
        self.shapes.push(s);
        self.shapes.len() - 1
    }
}

/// The payback rule, stated in every summary.
pub const PAYBACK_RULE: &str = "payback year = the first projection year t after which the \
cumulative discounted net benefit (benefits − costs, summed over years 0..t) is ≥ 0 and stays ≥ 0 \
to the horizon; payback_years = t + f, where f in (0, 1] interpolates linearly between the \
cumulative values after year t − 1 and after year t; status no_net_investment when the \
cumulative net is never negative, not_within_horizon when it is negative at the horizon; \
payback_year_undiscounted applies the same rule to undiscounted flows";

/// The sign rule, stated in every summary.
pub const SIGN_RULE: &str = "ledger values are changes in expenditure in the scenario's price \
year: expenditure +, saving −; incremental = intervention arm − baseline arm; costs = \
incremental investment; benefits = − incremental consequences; the total covers the public \
actors (the budget-economic result), non-public actors such as the citizen are reported by actor";

/// The conventions a model states: the scenario's, and its discount schedule's label and
/// source.
fn conventions(sc: &Scenario, schedule_label: String, schedule_source: String) -> Conventions {
    let timing = sc.discounting.timing;
    Conventions {
        price_year: sc.price_year,
        discount_schedule: schedule_label,
        discount_source: schedule_source,
        timing,
        year0_discounted: timing != Timing::Start,
        payback_rule: PAYBACK_RULE,
        sign_rule: SIGN_RULE,
    }
}

fn check_names<'s>(b: &mut Builder, path: &FieldPath, names: impl Iterator<Item = &'s String>) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, n) in names.enumerate() {
        if !seen.insert(n.clone()) {
            b.diag(
                &path.index(i).key("name"),
                format!("duplicate name `{n}`; names label ledger lines and must be unique"),
            );
        }
    }
}
