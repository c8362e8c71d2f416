//! Checks and compiles a scenario's `[states]` section (the state-transition form) into a
//! [`markov::Compiled`]. A child of `compile` so that it shares the builder: θ slots, cells,
//! items, catalogue lookups and diagnostics with file, line and field.

use super::*;
use crate::markov::{self, ArmC, Compiled, EffectC, EffectKind, Form, MatrixC, Regime};
use crate::scenario::states::{self as ms, CostKind, Row};

/// Most states a model may have (the trace of a chunk is arms × points × states × draws).
const MAX_STATES: usize = 100;

/// Arm names of the state-transition form, in index order.
const ARM_NAMES: [&str; 2] = ["baseline", "intervention"];

/// The cycles a matrix applies in, `from ≤ k < to`.
#[derive(Clone, Copy)]
struct Window {
    from: usize,
    to: usize,
}

fn span(w: &Window) -> String {
    if w.to == usize::MAX {
        format!("cycles {}–end", w.from)
    } else {
        format!("cycles {}–{}", w.from, w.to.saturating_sub(1))
    }
}

/// `"A -> B"` (or `A→B`) as (from, to) names.
fn split_transition(t: &str) -> Option<(&str, &str)> {
    let (a, b) = t.split_once("->").or_else(|| t.split_once('→'))?;
    Some((a.trim(), b.trim()))
}

impl<'a> Builder<'a> {
    fn state_index(&mut self, path: &FieldPath, names: &[String], name: &str) -> Option<usize> {
        if let Some(i) = names.iter().position(|n| n == name) {
            return Some(i);
        }
        let ids: Vec<&str> = names.iter().map(String::as_str).collect();
        self.diag(
            path,
            format!(
                "unknown state `{name}`{}; the states are {}",
                suggest(name, &ids),
                list(ids.iter().copied())
            ),
        );
        None
    }

    /// A θ slot for a value whose base value has been checked already (no second message).
    fn checked_param(&mut self, path: &FieldPath, p: &Param, range: Range, ok: bool) -> usize {
        if ok {
            self.param(path, p, range)
        } else {
            self.param(path, p, Range::Any)
        }
    }

    /// The window of a matrix in cycles since entry.
    fn matrix_window(
        &mut self,
        path: &FieldPath,
        m: &ms::MatrixSpec,
        per_year: usize,
        age0: Option<f64>,
    ) -> Window {
        let kinds = [
            m.from_cycle.is_some() || m.to_cycle.is_some(),
            m.from_year.is_some() || m.to_year.is_some(),
            m.from_age.is_some() || m.to_age.is_some(),
        ];
        if kinds.iter().filter(|&&k| k).count() > 1 {
            self.diag(
                path,
                "give the window in one unit: `from_cycle`/`to_cycle`, `from_year`/`to_year` or \
                 `from_age`/`to_age`",
            );
        }
        let (from, to) = if kinds[1] {
            (
                m.from_year.map(|y| y as usize * per_year),
                m.to_year.map(|y| y as usize * per_year),
            )
        } else if kinds[2] {
            match age0 {
                None => {
                    self.diag(
                        &path.key("from_age"),
                        "a window by age needs `age_at_entry` in [states]",
                    );
                    (None, None)
                }
                Some(a0) => {
                    let c = |age: f64| ((age - a0) * per_year as f64).ceil().max(0.0) as usize;
                    (m.from_age.map(c), m.to_age.map(c))
                }
            }
        } else {
            (
                m.from_cycle.map(|c| c as usize),
                m.to_cycle.map(|c| c as usize),
            )
        };
        let w = Window {
            from: from.unwrap_or(0),
            to: to.unwrap_or(usize::MAX),
        };
        if w.to <= w.from {
            // Said in the unit the window was given in, bounds as given: from ≤ x < to.
            let given = if kinds[1] {
                format!(
                    "`from_year` = {} to `to_year` = {}",
                    shown(m.from_year.map(f64::from)),
                    shown(m.to_year.map(f64::from))
                )
            } else if kinds[2] {
                format!(
                    "`from_age` = {} to `to_age` = {} with `age_at_entry` = {}",
                    shown(m.from_age),
                    shown(m.to_age),
                    shown(age0)
                )
            } else {
                format!(
                    "`from_cycle` = {} to `to_cycle` = {}",
                    shown(m.from_cycle.map(f64::from)),
                    shown(m.to_cycle.map(f64::from))
                )
            };
            self.diag(
                path,
                format!(
                    "the window is empty: {given} holds no cycle (cycles {} ≤ k < {}; the upper \
                     bound is exclusive)",
                    w.from, w.to
                ),
            );
        }
        w
    }

    /// One matrix: its rows checked and its entries as θ slots.
    fn matrix(
        &mut self,
        path: &FieldPath,
        arm: &str,
        m: &ms::MatrixSpec,
        names: &[String],
        window: &Window,
        cycle_given: bool,
    ) -> MatrixC {
        let s = names.len();
        let mut entries = Vec::new();
        if m.form == Form::Rates && !cycle_given {
            self.diag(
                &path.key("form"),
                format!(
                    "a matrix of arm `{arm}` is given as rates, but [states] has no cycle length: \
                     give `cycle = \"year\"` (or `quarter`, `month`) so that p = 1 − e^(−r·Δt) \
                     can be computed"
                ),
            );
        }
        let conditional_on = m
            .conditional_on
            .as_ref()
            .and_then(|c| self.state_index(&path.key("conditional_on"), names, c));
        let rows_path = path.key("rows");
        for name in m.rows.keys() {
            self.state_index(&rows_path.key(name), names, name);
        }
        let estimated = match &m.estimated {
            Some(e) => self.estimated_rows(&path.key("estimated"), m, e, names),
            None => std::collections::BTreeMap::new(),
        };
        let when = span(window);
        let what = match m.form {
            Form::Probabilities => "probability",
            Form::Rates => "rate",
            Form::Counts => "count",
        };
        for (i, state) in names.iter().enumerate() {
            let (rp, row) = match estimated.get(state) {
                Some(r) => (path.key("estimated").key(state), Some(r)),
                None => (rows_path.key(state), m.rows.get(state)),
            };
            let Some(row) = row else {
                self.diag(
                    &rows_path,
                    format!(
                        "row `{state}` is missing in arm `{arm}` ({when}): every state needs a \
                         row; give `{state} = {{}}` for a state nobody leaves"
                    ),
                );
                continue;
            };
            // (column, path, param)
            let cells: Vec<(usize, FieldPath, &Param)> = match row {
                Row::Full(v) => {
                    if v.len() != s {
                        self.diag(
                            &rp,
                            format!(
                                "row `{state}` of arm `{arm}` has {} entries, but the matrix has \
                                 {s} states ({}): the matrix is of the wrong size",
                                v.len(),
                                list(names.iter().map(String::as_str))
                            ),
                        );
                        continue;
                    }
                    v.iter()
                        .enumerate()
                        .map(|(j, p)| (j, rp.index(j), p))
                        .collect()
                }
                Row::Sparse(map) => {
                    let mut out = Vec::new();
                    for (to, p) in map {
                        if let Some(j) = self.state_index(&rp.key(to), names, to) {
                            out.push((j, rp.key(to), p));
                        }
                    }
                    out
                }
            };
            let full = matches!(row, Row::Full(_));
            let mut sum = 0.0;
            let mut ok_row = true;
            for (j, p, param) in &cells {
                let v = param.value;
                let to = &names[*j];
                let bad = !v.is_finite()
                    || v < 0.0
                    || (m.form == Form::Probabilities && v > 1.0 + markov::ROW_TOLERANCE);
                if bad {
                    self.diag(
                        p,
                        format!(
                            "the {what} from `{state}` to `{to}` in arm `{arm}` ({when}, row \
                             `{state}`) is {v}: a {what} must be {}",
                            if m.form == Form::Probabilities {
                                "between 0 and 1"
                            } else {
                                "0 or more"
                            }
                        ),
                    );
                    ok_row = false;
                }
                if m.form == Form::Counts && param.dist.is_some() {
                    self.diag(
                        p,
                        "counts are drawn as Dirichlet rows in probabilistic runs: give plain \
                         numbers",
                    );
                }
                if *j == i && m.form != Form::Counts {
                    // The diagonal is the complement; a full row's diagonal is checked below.
                    if !full {
                        self.diag(
                            p,
                            format!(
                                "row `{state}` of arm `{arm}` names `{state}` itself: the \
                                 diagonal is the complement of the other entries; leave it out"
                            ),
                        );
                    } else if m.form == Form::Rates && v != 0.0 {
                        self.diag(
                            p,
                            format!(
                                "row `{state}` of arm `{arm}` gives a rate on the diagonal ({v}); \
                                 give 0 there: the probability of staying is the complement"
                            ),
                        );
                    }
                    sum += v;
                    continue;
                }
                if m.form != Form::Rates {
                    sum += v;
                }
                if v == 0.0 && param.dist.is_none() {
                    continue; // a structural zero
                }
                let range = match m.form {
                    Form::Probabilities => Range::Share,
                    _ => Range::NonNegative,
                };
                let slot = self.checked_param(p, param, range, !bad);
                // A row with one positive count is certain: no Dirichlet draw.
                let positive = cells.iter().filter(|c| c.2.value > 0.0).count();
                if m.form == Form::Counts && v > 0.0 && positive > 1 {
                    self.params[slot].dist = crate::dist::Dist::gamma(v, 1.0).ok();
                }
                entries.push((i, *j, slot));
            }
            if m.form == Form::Counts {
                if ok_row && sum <= 0.0 && !cells.is_empty() {
                    self.diag(
                        &rp,
                        format!("row `{state}` of arm `{arm}` has no counts (they sum to 0)"),
                    );
                }
                continue;
            }
            if !ok_row || m.form == Form::Rates {
                continue;
            }
            let off: f64 = cells.iter().filter(|c| c.0 != i).map(|c| c.2.value).sum();
            if full && (sum - 1.0).abs() > markov::ROW_TOLERANCE {
                self.diag(
                    &rp,
                    format!(
                        "row `{state}` of arm `{arm}` ({when}) sums to {sum}, not 1: the \
                         probabilities out of a state must sum to 1 (tolerance {:e})",
                        markov::ROW_TOLERANCE
                    ),
                );
            } else if off > 1.0 + markov::ROW_TOLERANCE {
                self.diag(
                    &rp,
                    format!(
                        "the probabilities out of `{state}` in arm `{arm}` ({when}) sum to {off}, \
                         more than 1 (tolerance {:e})",
                        markov::ROW_TOLERANCE
                    ),
                );
            }
        }
        MatrixC {
            form: m.form,
            conditional_on,
            entries,
        }
    }

    /// Transitions named as `"A -> B"` with `*` for any state; (from, to) off the diagonal.
    fn transitions(
        &mut self,
        path: &FieldPath,
        t: &str,
        names: &[String],
    ) -> Option<Vec<(usize, usize)>> {
        let Some((a, b)) = split_transition(t) else {
            self.diag(
                path,
                format!("`{t}` is not a transition: write it as `\"FROM -> TO\"`"),
            );
            return None;
        };
        let from = if a == "*" {
            (0..names.len()).collect()
        } else {
            vec![self.state_index(path, names, a)?]
        };
        let to: Vec<usize> = if b == "*" {
            (0..names.len()).collect()
        } else {
            vec![self.state_index(path, names, b)?]
        };
        let pairs: Vec<(usize, usize)> = from
            .iter()
            .flat_map(|&i| to.iter().map(move |&j| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        if pairs.is_empty() {
            self.diag(
                path,
                format!("`{t}` names no transition between two different states"),
            );
            return None;
        }
        Some(pairs)
    }

    /// The initial distribution, checked: (state, slot) pairs.
    fn initial(
        &mut self,
        path: &FieldPath,
        init: &std::collections::BTreeMap<String, Param>,
        names: &[String],
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut sum = 0.0;
        for (name, p) in init {
            let pp = path.key(name);
            let Some(i) = self.state_index(&pp, names, name) else {
                continue;
            };
            sum += p.value;
            out.push((i, self.param(&pp, p, Range::Share)));
        }
        if (sum - 1.0).abs() > markov::ROW_TOLERANCE {
            self.diag(
                path,
                format!(
                    "the initial shares sum to {sum}, not 1 (tolerance {:e})",
                    markov::ROW_TOLERANCE
                ),
            );
        }
        out
    }

    fn arms_of(&mut self, p: &FieldPath, arm: &Option<String>) -> Option<Vec<usize>> {
        match arm.as_deref() {
            None => Some(vec![0, 1]),
            Some(x) => match ARM_NAMES.iter().position(|n| *n == x) {
                Some(a) => Some(vec![a]),
                None => {
                    self.diag(
                        &p.key("arm"),
                        format!("unknown arm `{x}`; the arms are `baseline` and `intervention`"),
                    );
                    None
                }
            },
        }
    }

    /// Compile `[states]`. `cohorts` are (projection year of entry, θ slot of its size);
    /// `discount` the scenario's factors by projection year, `rates` its rate within each
    /// projection year and `rate_slot` the θ slot of a constant rate that is an input.
    pub(super) fn states(
        &mut self,
        st: &ms::States,
        cohorts: &[(i64, usize)],
        discount: &[f64],
        rates: Vec<f64>,
        rate_slot: Option<usize>,
    ) -> Option<Compiled> {
        let h = discount.len();
        let root = FieldPath::root().key("states");
        let names = st.names.clone();
        for (i, n) in names.iter().enumerate() {
            // As documented: letters, digits, `_` and `-` (no space, comma or arrow, which the
            // transitions' names and the CSV tables use).
            let bad = n.is_empty()
                || n.contains("->")
                || !n
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if bad {
                self.diag(
                    &root.key("names").index(i),
                    format!(
                        "{:?} cannot be a state name: use letters, digits, `_` or `-`",
                        n.chars().take(40).collect::<String>()
                    ),
                );
            }
            if names[..i].contains(n) {
                self.diag(
                    &root.key("names").index(i),
                    format!("state `{n}` is named twice"),
                );
            }
        }
        if names.is_empty() || names.len() > MAX_STATES {
            self.diag(
                &root.key("names"),
                format!(
                    "give between 1 and {MAX_STATES} states, got {}",
                    names.len()
                ),
            );
            return None;
        }
        let cycle = st.cycle.unwrap_or_default();
        let per_year = cycle.per_year() as usize;
        let dt = 1.0 / per_year as f64;
        let k = st.cycles.map_or(h * per_year, |c| c as usize);
        if k == 0 || k > MAX_HORIZON as usize * 12 {
            self.diag(
                &root.key("cycles"),
                format!("must be between 1 and {}", MAX_HORIZON as usize * 12),
            );
            return None;
        }
        let tm = &st.timing;
        if tm.count_initial && tm.transitions == ms::TransitionTiming::End {
            self.diag(
                &root.key("timing").key("count_initial"),
                "with `transitions = \"end\"` the initial distribution is already cycle 0's \
                 occupancy; `count_initial` goes with `transitions = \"start\"`",
            );
        }
        let initial = self.initial(&root.key("initial"), &st.initial, &names);

        // Arms and their matrices.
        let arm_path = root.key("arm");
        for name in st.arm.keys() {
            if !ARM_NAMES.contains(&name.as_str()) {
                self.diag(
                    &arm_path.key(name),
                    format!(
                        "unknown arm `{name}`{}; the arms are `baseline` and `intervention`",
                        suggest(name, &ARM_NAMES)
                    ),
                );
            }
        }
        let mut matrices: Vec<MatrixC> = Vec::new();
        // Per arm: (matrix index, window) in order.
        let mut arm_mats: [Vec<(usize, Window)>; 2] = [Vec::new(), Vec::new()];
        let mut arm_init: [Vec<(usize, usize)>; 2] = [initial.clone(), initial];
        let mut missing = false;
        for (a, name) in ARM_NAMES.iter().enumerate() {
            let Some(spec) = st.arm.get(*name) else {
                self.diag(
                    &arm_path,
                    format!(
                        "arm `{name}` is missing: give `[states.arm.{name}]`{}",
                        if a == 1 {
                            " (it may give no matrix, and then uses the baseline's with the \
                             effects applied)"
                        } else {
                            " with its transition matrices"
                        }
                    ),
                );
                missing = true;
                continue;
            };
            let ap = arm_path.key(name);
            if let Some(init) = &spec.initial {
                arm_init[a] = self.initial(&ap.key("initial"), init, &names);
            }
            for (i, m) in spec.matrices.iter().enumerate() {
                let mp = ap.key("matrix").index(i);
                let w = self.matrix_window(&mp, m, per_year, st.age_at_entry);
                let mc = self.matrix(&mp, name, m, &names, &w, st.cycle.is_some());
                matrices.push(mc);
                arm_mats[a].push((matrices.len() - 1, w));
            }
            if a == 0 && spec.matrices.is_empty() {
                self.diag(
                    &ap,
                    "the baseline arm needs at least one `[[states.arm.baseline.matrix]]`",
                );
            }
        }
        if missing {
            return None;
        }
        if arm_mats[1].is_empty() {
            arm_mats[1] = arm_mats[0].clone();
        }

        // Effects.
        let mut effects = Vec::new();
        for (e, eff) in st.effects.iter().enumerate() {
            let ep = root.key("effect").index(e);
            let arm = eff.arm.as_deref().unwrap_or("intervention");
            let Some(a) = ARM_NAMES.iter().position(|n| *n == arm) else {
                self.diag(
                    &ep.key("arm"),
                    format!("unknown arm `{arm}`; the arms are `baseline` and `intervention`"),
                );
                continue;
            };
            let (kind, slot) = match (&eff.rr, &eff.hr) {
                (Some(r), None) => (
                    EffectKind::RelativeRisk,
                    self.param(&ep.key("rr"), r, Range::NonNegative),
                ),
                (None, Some(r)) => (
                    EffectKind::HazardRatio,
                    self.param(&ep.key("hr"), r, Range::NonNegative),
                ),
                _ => {
                    self.diag(&ep, "give exactly one of `rr` and `hr`");
                    continue;
                }
            };
            let mut targets = Vec::new();
            for (t, name) in eff.transitions.iter().enumerate() {
                let tp = ep.key("transitions").index(t);
                let Some(pairs) = self.transitions(&tp, name, &names) else {
                    continue;
                };
                let wildcard = name.contains('*');
                for (i, j) in pairs {
                    let exists = arm_mats[a].iter().any(|(m, _)| {
                        matrices[*m]
                            .entries
                            .iter()
                            .any(|&(x, y, _)| x == i && y == j)
                    });
                    if exists {
                        targets.push((i, j));
                    } else if !wildcard {
                        self.diag(
                            &tp,
                            format!(
                                "transition `{} -> {}` has no probability in any matrix of arm \
                                 `{arm}`: an effect on it would change nothing",
                                names[i], names[j]
                            ),
                        );
                    }
                }
            }
            let from = eff.from_cycle.unwrap_or(0) as usize;
            let to = eff.cycles.map_or(usize::MAX, |c| from + c as usize);
            if eff.cycles == Some(0) {
                self.diag(&ep.key("cycles"), "must be at least 1 (or leave it out)");
            }
            effects.push(EffectC {
                arm: a,
                kind,
                slot,
                targets,
                from,
                to,
            });
        }

        // Regimes: the matrix and effects of every cycle of every arm.
        let mut regimes: Vec<Regime> = Vec::new();
        let mut arms_c: Vec<ArmC> = Vec::new();
        for a in 0..2 {
            let mut of_cycle = Vec::with_capacity(k);
            let mut reported = false;
            for c in 0..k {
                let m = arm_mats[a]
                    .iter()
                    .rev()
                    .find(|(_, w)| w.from <= c && c < w.to)
                    .map(|x| x.0);
                let Some(m) = m else {
                    if !reported {
                        self.diag(
                            &arm_path.key(ARM_NAMES[a]),
                            format!(
                                "no matrix of arm `{}` applies in cycle {c}: the windows of its \
                                 matrices must cover every cycle (a matrix without a window \
                                 covers them all)",
                                ARM_NAMES[a]
                            ),
                        );
                        reported = true;
                    }
                    of_cycle.push(0);
                    continue;
                };
                let active: Vec<usize> = (0..effects.len())
                    .filter(|&e| effects[e].arm == a && effects[e].from <= c && c < effects[e].to)
                    .collect();
                let mut nz: Vec<(usize, usize)> = matrices[m]
                    .entries
                    .iter()
                    .map(|&(i, j, _)| (i, j))
                    .chain((0..names.len()).map(|i| (i, i)))
                    .collect();
                nz.sort_unstable();
                nz.dedup();
                let reg = Regime {
                    matrix: m,
                    effects: active,
                    nonzeros: nz,
                };
                let r = match regimes.iter().position(|x| *x == reg) {
                    Some(r) => r,
                    None => {
                        regimes.push(reg);
                        regimes.len() - 1
                    }
                };
                of_cycle.push(r);
            }
            arms_c.push(ArmC {
                initial: std::mem::take(&mut arm_init[a]),
                regime_of_cycle: of_cycle,
            });
        }

        // Costs per year in a state, and per transition.
        let component = |k: CostKind| match k {
            CostKind::Consequence => Component::Consequence,
            CostKind::Intervention => Component::InterventionCost,
        };
        check_names(self, &root.key("cost"), st.costs.iter().map(|c| &c.name));
        let mut costs = Vec::new();
        for (i, c) in st.costs.iter().enumerate() {
            let p = root.key("cost").index(i);
            let state = self.state_index(&p.key("state"), &names, &c.state);
            let arms = self.arms_of(&p, &c.arm);
            let line = Line {
                amount: c.amount.as_ref(),
                item: c.item.as_deref(),
                units: c.units.as_ref(),
                department: c.department.as_deref(),
                actor: c.actor.as_deref(),
            };
            let Some((targets, q)) = self.line_targets(&p, line, None, Range::Any) else {
                continue;
            };
            let (Some(state), Some(arms)) = (state, arms) else {
                continue;
            };
            let from = c.from_cycle.unwrap_or(0) as usize;
            let to = c.to_cycle.map_or(usize::MAX, |x| x as usize);
            if to <= from {
                self.diag(&p.key("to_cycle"), "the window is empty");
            }
            let item = self.add_item(&c.name, c.item.as_deref(), c.source.as_deref());
            for &a in &arms {
                for &(actor, department, price) in &targets {
                    let cell = self.cell(Cell {
                        arm: markov::ARMS[a],
                        component: component(c.kind),
                        actor,
                        department,
                        item,
                    });
                    costs.push(markov::CostC {
                        arm: a,
                        state,
                        cell,
                        constant: price * dt,
                        slot: q,
                        from,
                        to,
                    });
                }
            }
        }
        // Lines that share arm, state and window share their occupancy sums in evaluation.
        costs.sort_by_key(|c: &markov::CostC| (c.arm, c.state, c.from, c.to));
        check_names(
            self,
            &root.key("transition_cost"),
            st.transition_costs.iter().map(|c| &c.name),
        );
        let mut transition_costs = Vec::new();
        for (i, c) in st.transition_costs.iter().enumerate() {
            let p = root.key("transition_cost").index(i);
            let pairs = self.transitions(&p.key("transition"), &c.transition, &names);
            let arms = self.arms_of(&p, &c.arm);
            let line = Line {
                amount: c.amount.as_ref(),
                item: c.item.as_deref(),
                units: c.units.as_ref(),
                department: c.department.as_deref(),
                actor: c.actor.as_deref(),
            };
            let Some((targets, q)) = self.line_targets(&p, line, None, Range::Any) else {
                continue;
            };
            let (Some(pairs), Some(arms)) = (pairs, arms) else {
                continue;
            };
            let item = self.add_item(&c.name, c.item.as_deref(), c.source.as_deref());
            for &a in &arms {
                for &(actor, department, price) in &targets {
                    let cell = self.cell(Cell {
                        arm: markov::ARMS[a],
                        component: component(c.kind),
                        actor,
                        department,
                        item,
                    });
                    for &(from, to) in &pairs {
                        transition_costs.push(markov::TransitionCostC {
                            arm: a,
                            from,
                            to,
                            cell,
                            constant: price,
                            slot: q,
                        });
                    }
                }
            }
        }

        // Outcomes.
        let mut outcomes = Vec::new();
        check_names(
            self,
            &root.key("outcome"),
            st.outcomes.iter().map(|c| &c.name),
        );
        for (i, o) in st.outcomes.iter().enumerate() {
            let p = root.key("outcome").index(i);
            let mut values: [Vec<Option<usize>>; 2] = [vec![None; names.len()], Vec::new()];
            for (name, v) in &o.values {
                let vp = p.key("values").key(name);
                if let Some(s) = self.state_index(&vp, &names, name) {
                    values[0][s] = Some(self.param(&vp, v, Range::Any));
                }
            }
            values[1] = values[0].clone();
            for (name, v) in o.intervention.iter().flatten() {
                let vp = p.key("intervention").key(name);
                if let Some(s) = self.state_index(&vp, &names, name) {
                    values[1][s] = Some(self.param(&vp, v, Range::Any));
                }
            }
            let (discount, discounting) = match o.discount_rate {
                Some(r) if Range::Rate.check(r).is_none() => (
                    crate::discount::factors(&|_| r, h as u32, self.sc.discounting.timing),
                    format!("constant {r}"),
                ),
                Some(r) => {
                    self.diag(
                        &p.key("discount_rate"),
                        format!("{}, got {r}", Range::Rate.check(r).unwrap_or_default()),
                    );
                    (vec![1.0; h], String::new())
                }
                None => (discount.to_vec(), "the scenario's discounting".to_string()),
            };
            outcomes.push(markov::OutcomeC {
                name: o.name.clone(),
                values,
                discount,
                rate: o.discount_rate.filter(|r| r.is_finite() && *r > -1.0),
                discounting,
                sign: match o.better {
                    ms::Better::Higher => 1.0,
                    ms::Better::Lower => -1.0,
                },
            });
        }
        let acceptability = match &st.acceptability {
            Some(a) => {
                let steps = a.steps.unwrap_or(50);
                if !(a.max.is_finite() && a.max > 0.0) {
                    self.diag(
                        &root.key("acceptability").key("max"),
                        format!("must be above 0, got {}", a.max),
                    );
                }
                if !(1..=10_000).contains(&steps) {
                    self.diag(
                        &root.key("acceptability").key("steps"),
                        "must be between 1 and 10000",
                    );
                }
                Some((a.max, steps))
            }
            None => None,
        };
        let corr = |applies: bool| {
            if applies {
                tm.correction
            } else {
                ms::Correction::None
            }
        };
        let on_costs = matches!(
            tm.correction_applies_to,
            ms::AppliesTo::All | ms::AppliesTo::Costs
        );
        let on_outcomes = matches!(
            tm.correction_applies_to,
            ms::AppliesTo::All | ms::AppliesTo::Outcomes
        );
        let arms: [ArmC; 2] = arms_c.try_into().ok()?;
        Some(Compiled {
            states: names,
            cycle,
            dt,
            cycles: k,
            transitions: tm.transitions,
            count_initial: tm.count_initial,
            correction: tm.correction,
            applies_to: tm.correction_applies_to,
            matrices,
            effects,
            regimes,
            arms,
            costs,
            transition_costs,
            outcomes,
            cohorts: cohorts
                .iter()
                .map(|&(s, n)| (s.clamp(0, h as i64) as usize, n))
                .collect(),
            cost_elements: markov::elements(
                corr(on_costs),
                tm.transitions,
                tm.count_initial,
                k,
                per_year,
            ),
            outcome_elements: markov::elements(
                corr(on_outcomes),
                tm.transitions,
                tm.count_initial,
                k,
                per_year,
            ),
            acceptability,
            discount: markov::CycleDiscount::new(
                tm.discount,
                per_year,
                self.sc.discounting.timing,
                rates,
                rate_slot.map(|j| (j, self.params[j].value)),
            ),
        })
    }

    /// Cohorts whose given cycles (and the trace point a point-based correction adds) run past
    /// the horizon: the flows of those years would be cut without a word, so they are an error
    /// on `horizon` that says what is cut and the horizon that holds the model.
    pub(super) fn past_horizon(&mut self, st: &ms::States, mk: &Compiled, h: usize) {
        let Some(cycles) = st.cycles else {
            // Without `cycles`, a cohort runs to the end of the horizon: nothing is cut.
            return;
        };
        let touched = |e: &&markov::Element| e.terms.iter().any(|&(_, w)| w != 0.0);
        let Some(last) = mk
            .cost_elements
            .iter()
            .chain(&mk.outcome_elements)
            .filter(touched)
            .map(|e| e.year)
            .max()
        else {
            return;
        };
        // The latest cohort to enter needs the longest horizon.
        let Some(start) = mk.cohorts.iter().map(|&(s, _)| s).max() else {
            return;
        };
        let need = start + last + 1;
        if need <= h {
            return;
        }
        let unit = match mk.cycle {
            ms::CycleLength::Year => "yearly",
            ms::CycleLength::Quarter => "quarterly",
            ms::CycleLength::Month => "monthly",
        };
        let per_year = mk.cycle.per_year() as usize;
        let of_cycles = (cycles as usize).div_ceil(per_year);
        let correction = if last < of_cycles {
            String::new()
        } else {
            format!(
                " (with the `{}` correction, whose last trace point falls in the year after \
                 the last cycle)",
                mk.correction.as_str()
            )
        };
        let cohort = if start == 0 {
            "a cohort entering in year 0".to_string()
        } else {
            format!("the cohort entering in projection year {start}")
        };
        self.diag(
            &FieldPath::root().key("horizon"),
            format!(
                "{cycles} {unit} cycles{correction} fill {} years from entry, so {cohort} \
                 needs a horizon of {need} years; a horizon of {h} would cut its last {} \
                 year(s) without a word: set `horizon = {need}`, or fewer `states.cycles`",
                last + 1,
                need - h
            ),
        );
    }

    /// Rows whose probabilities off the diagonal sum to more than 1 at base values (an effect
    /// that pushes a row over 1), named by arm, cycle and row.
    pub(super) fn rows_over_one(&mut self, st: &ms::States, mk: &Compiled) {
        let tt =
            ndarray::Array2::from_shape_fn((self.params.len(), 1), |(p, _)| self.params[p].value);
        let (mut probs, mut tmp, mut over) = (Vec::new(), Vec::new(), Vec::new());
        mk.probabilities(&tt, &mut probs, &mut tmp, Some(&mut over));
        for (r, i, sum) in over {
            let Some((a, c)) = (0..2).find_map(|a| {
                mk.arms[a]
                    .regime_of_cycle
                    .iter()
                    .position(|&x| x == r)
                    .map(|c| (a, c))
            }) else {
                continue;
            };
            let reg = &mk.regimes[r];
            let effect = reg
                .effects
                .iter()
                .copied()
                .find(|&e| mk.effects[e].targets.iter().any(|t| t.0 == i));
            let path = match effect {
                Some(e) => {
                    let key = if st.effects.get(e).is_some_and(|x| x.rr.is_some()) {
                        "rr"
                    } else {
                        "hr"
                    };
                    FieldPath::root()
                        .key("states")
                        .key("effect")
                        .index(e)
                        .key(key)
                }
                None => FieldPath::root().key("states").key("arm").key(ARM_NAMES[a]),
            };
            self.diag(
                &path,
                format!(
                    "the probabilities out of row `{}` in arm `{}` sum to {sum} in cycle {c}{}: \
                     more than 1 (tolerance {:e})",
                    mk.states[i],
                    ARM_NAMES[a],
                    if effect.is_some() {
                        " with this effect"
                    } else {
                        ""
                    },
                    markov::ROW_TOLERANCE
                ),
            );
        }
    }

    /// Counts of the estimates' transitions table as full rows of the scenario's states.
    fn estimated_rows(
        &mut self,
        path: &FieldPath,
        m: &ms::MatrixSpec,
        e: &ms::EstimatedMatrix,
        names: &[String],
    ) -> std::collections::BTreeMap<String, Row> {
        let mut out = std::collections::BTreeMap::new();
        if m.form != Form::Counts {
            self.diag(
                &path.key("form"),
                "transitions taken from the estimates are counts: give `form = \"counts\"`",
            );
            return out;
        }
        let Some(est) = self.estimates else {
            self.diag(
                path,
                "needs an estimates file: add `[estimates] file = \"…/estimates.json\"` (written \
                 by `som estimate --out`)",
            );
            return out;
        };
        let group = e.group.as_deref().unwrap_or("comparison");
        if group != "comparison" && group != "participants" {
            self.diag(
                &path.key("group"),
                format!("unknown group `{group}`; the groups are `comparison` and `participants`"),
            );
            return out;
        }
        let mut map = std::collections::BTreeMap::new();
        for (from, to) in &e.map {
            if let Some(j) = self.state_index(&path.key("map").key(from), names, to) {
                map.insert(from.clone(), j);
            }
        }
        let known: std::collections::BTreeSet<&str> = est
            .transitions
            .keys()
            .flat_map(|k| [k.2.as_str(), k.3.as_str()])
            .collect();
        for from in e.map.keys() {
            if !known.contains(from.as_str()) {
                let ks: Vec<&str> = known.iter().copied().collect();
                self.diag(
                    &path.key("map").key(from),
                    format!(
                        "the estimates `{}` have no state `{from}`{}; they have {}",
                        est.name(),
                        suggest(from, &ks),
                        list(ks.iter().copied())
                    ),
                );
            }
        }
        let s = names.len();
        let mut counts = vec![vec![0.0; s]; s];
        let mut covered = vec![false; s];
        for ((g, k, from, to), &c) in &est.transitions {
            let year_ok = match &e.years {
                Some(ys) => ys.contains(k),
                None => *k >= 0,
            };
            if g != group || !year_ok {
                continue;
            }
            if let Some(&i) = map.get(from) {
                covered[i] = true;
                if let Some(&j) = map.get(to) {
                    counts[i][j] += c;
                }
            }
        }
        // Counts given in `rows` for a counted state are added (transitions the data cannot
        // show, such as a kind of placement the case data do not tell apart).
        for (i, state) in names.iter().enumerate() {
            if !covered[i] {
                continue;
            }
            match m.rows.get(state) {
                Some(Row::Full(v)) if v.len() == s => {
                    for (c, p) in counts[i].iter_mut().zip(v) {
                        *c += p.value;
                    }
                }
                Some(Row::Sparse(extra)) => {
                    for (to, p) in extra {
                        if let Some(j) = names.iter().position(|n| n == to) {
                            counts[i][j] += p.value;
                        }
                    }
                }
                _ => {}
            }
            let row = counts[i].iter().map(|&c| Param::fixed(c)).collect();
            out.insert(state.clone(), Row::Full(row));
        }
        out
    }
}

/// A window bound as given, or `none`.
fn shown(x: Option<f64>) -> String {
    x.map_or("none".to_string(), |v| v.to_string())
}
