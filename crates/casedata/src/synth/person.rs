//! One person's history: the counterfactual path (no intervention) is simulated first, month by
//! month; participation is drawn from what is observed before the start date; a participant's
//! services after the start date are then removed with the effect probabilities, so that the
//! observed path and the counterfactual differ by the effect alone.

use super::frame::{PersonCols, ServiceCols, StateCols};
use super::model::{
    AGE_AT_START, CORRECTION_RATE, FEMALE_SHARE, LEVEL_MISSING, Process, REFUND_176_RATE,
    REFUND_176_THRESHOLD, REFUND_176_YEAR, SEGMENT_SHARES, SELECTION_COST_CENTRE,
    SELECTION_COST_SCALE, SELECTION_COST_SLOPE, SELECTION_INTERCEPT, SELECTION_LEVEL,
    SELECTION_LEVEL_MISSING, State, Units,
};
use super::{Plan, Tally};
use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::StandardNormal;

const OFF: f64 = -1.0;

/// A service row of the counterfactual path.
#[derive(Debug, Clone, Copy)]
struct Row {
    month: u16,
    stream: u8,
    units: f64,
    amount: f64,
    refund: bool,
    /// The effect draw: the row is removed for a participant when `u` < effect.
    u: f64,
}

/// Scratch space reused from person to person within a chunk.
#[derive(Default)]
pub struct Scratch {
    act: Vec<f64>,
    tariff: Vec<f64>,
    rows: Vec<Row>,
    pending: Vec<f64>,
    job: Vec<bool>,
    edu: Vec<bool>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn clamp_p(p: f64) -> f64 {
    p.clamp(0.0, 0.95)
}

fn poisson(rng: &mut ChaCha12Rng, exp_minus_mean: f64) -> u32 {
    // Knuth's multiplication method: exact, and the means used here are small.
    let mut k = 0u32;
    let mut p: f64 = rng.random();
    while p > exp_minus_mean && k < 1000 {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

fn tariff(rng: &mut ChaCha12Rng, sd: f64) -> f64 {
    if sd <= 0.0 {
        1.0
    } else {
        let z: f64 = rng.sample(StandardNormal);
        (sd * z - 0.5 * sd * sd).exp()
    }
}

/// A two-state monthly chain started from its stationary distribution.
fn chain(rng: &mut ChaCha12Rng, out: &mut Vec<bool>, months: usize, p_in: f64, p_out: f64) {
    out.clear();
    let p_in = clamp_p(p_in);
    let p_out = clamp_p(p_out);
    let mut on = rng.random::<f64>() < p_in / (p_in + p_out);
    for _ in 0..months {
        out.push(on);
        let r: f64 = rng.random();
        on = if on { r >= p_out } else { r < p_in };
    }
}

/// Simulate one person and append their rows to the chunk's columns.
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    plan: &Plan,
    rng: &mut ChaCha12Rng,
    scratch: &mut Scratch,
    municipality: i32,
    global_index: u64,
    persons: &mut PersonCols,
    services: &mut ServiceCols,
    states: &mut StateCols,
    tally: &mut Tally,
) {
    let tf = &plan.time;
    let months = tf.months;
    let model = &plan.model;

    // --- who the person is -------------------------------------------------------------------
    let start =
        tf.start_lo + (rng.random::<f64>() * (tf.start_hi - tf.start_lo + 1) as f64) as usize;
    let start = start.min(tf.start_hi);
    let start_day = 1 + (rng.random::<f64>() * 28.0) as u32;
    let r: f64 = rng.random();
    let mut seg = SEGMENT_SHARES.len() - 1;
    let mut acc = 0.0;
    for (i, sh) in SEGMENT_SHARES.iter().enumerate() {
        acc += sh;
        if r < acc {
            seg = i;
            break;
        }
    }
    let female = rng.random::<f64>() < FEMALE_SHARE[seg];
    let (a0, a1) = AGE_AT_START[seg];
    let age_at_start = a0 + (rng.random::<f64>() * (a1 - a0 + 1) as f64) as i32;
    let start_year = tf.from_year + (start / 12) as i32;
    let birth_year = start_year - age_at_start.min(a1);
    let s: f64 = rng.sample(StandardNormal);
    let c: f64 = s + 0.7 * rng.sample::<f64, _>(StandardNormal);
    let level = if c < -0.3 {
        1u8
    } else if c < 0.9 {
        2
    } else {
        3
    };
    let level = if rng.random::<f64>() < LEVEL_MISSING {
        None
    } else {
        Some(level)
    };
    let age = |m: usize| tf.year[m] - birth_year;

    // --- counterfactual service use ----------------------------------------------------------
    let streams = &model.segments[seg];
    let ns = streams.len();
    scratch.act.clear();
    scratch.act.resize(ns * months, OFF);
    scratch.tariff.clear();
    scratch.tariff.resize(ns * months, 1.0);
    for (j, res) in streams.iter().enumerate() {
        let st = &res.stream;
        let (lo, hi) = st.ages;
        let eligible = |m: usize| {
            let a = age(m);
            a >= lo && a <= hi
        };
        match st.process {
            Process::Spell {
                p_in,
                p_out,
                b_in,
                b_out,
            } => {
                let h_in = clamp_p(p_in * (b_in * s).exp());
                let h_out = clamp_p(p_out * (-b_out * s).exp());
                let mut on = false;
                let mut u = 0.0;
                let mut t = 1.0;
                for m in 0..months {
                    if !eligible(m) {
                        on = false;
                        continue;
                    }
                    let r: f64 = rng.random();
                    let was = on;
                    let mut inherited = None;
                    if m == 0 {
                        on = r < h_in / (h_in + h_out);
                    } else if on {
                        on = r >= h_out;
                    } else {
                        let trig = st.trigger.and_then(|(tj, p)| {
                            let a = scratch.act[tj * months + m - 1];
                            (a >= 0.0).then_some((p, a))
                        });
                        match trig {
                            Some((p, a)) if r < p => {
                                on = true;
                                inherited = Some(a);
                            }
                            _ => on = rng.random::<f64>() < h_in,
                        }
                    }
                    if on && !was {
                        u = match inherited {
                            Some(a) => a,
                            None => rng.random(),
                        };
                        t = tariff(rng, st.tariff_sd);
                    }
                    if on
                        && !st
                            .excluded_by
                            .iter()
                            .any(|&x| scratch.act[x * months + m] >= 0.0)
                    {
                        scratch.act[j * months + m] = u;
                        scratch.tariff[j * months + m] = t;
                    }
                }
            }
            Process::Event { p, b } => {
                let pe = clamp_p(p * (b * s).exp());
                for m in 0..months {
                    if eligible(m) && rng.random::<f64>() < pe {
                        scratch.act[j * months + m] = rng.random();
                        scratch.tariff[j * months + m] = tariff(rng, st.tariff_sd);
                    }
                }
            }
            Process::Follows { parent, p } => {
                for m in 0..months {
                    let a = scratch.act[parent * months + m];
                    if a >= 0.0 && rng.random::<f64>() < p {
                        scratch.act[j * months + m] = a;
                        scratch.tariff[j * months + m] = tariff(rng, st.tariff_sd);
                    }
                }
            }
        }
    }

    // Rows, month by month, services in their order; refunds and corrections follow their row.
    scratch.rows.clear();
    scratch.pending.clear();
    scratch.pending.resize(ns, 0.0);
    for m in 0..months {
        let y = tf.year[m];
        let days = tf.days[m] as f64;
        for (j, res) in streams.iter().enumerate() {
            let u = scratch.act[j * months + m];
            if u < 0.0 {
                continue;
            }
            let st = &res.stream;
            let units = match st.units {
                Units::DaysInMonth => days,
                Units::One => 1.0,
                Units::Count {
                    base,
                    mean,
                    days: cap,
                } => {
                    let n = (base + poisson(rng, (-mean).exp())) as f64;
                    if cap { n.min(days) } else { n }
                }
            };
            let price = plan.unit_price(seg, j, y);
            let amount = round2(units * price * scratch.tariff[j * months + m]);
            scratch.rows.push(Row {
                month: m as u16,
                stream: j as u8,
                units,
                amount,
                refund: false,
                u,
            });
            if st.refund_176 {
                // The state's share of the cost above the yearly threshold, accumulated over the
                // spell and booked at the end of each quarter (or of the spell, or of a year
                // since the start date, so that a refund never spans two effect years).
                let threshold = REFUND_176_THRESHOLD * model.price_factor(REFUND_176_YEAR, y);
                let pending = &mut scratch.pending[j];
                *pending += REFUND_176_RATE * (amount - threshold * days / 365.0).max(0.0);
                let next = scratch.act.get(j * months + m + 1).copied();
                let spell_ends = m + 1 == months || next != Some(u);
                let boundary = m % 3 == 2 || (m + 1).abs_diff(start) % 12 == 0;
                if (spell_ends || boundary) && *pending > 0.0 {
                    scratch.rows.push(Row {
                        month: m as u16,
                        stream: j as u8,
                        units: 0.0,
                        amount: -round2(*pending),
                        refund: true,
                        u,
                    });
                    *pending = 0.0;
                } else if spell_ends || boundary {
                    *pending = 0.0;
                }
            }
            if rng.random::<f64>() < CORRECTION_RATE {
                let frac = 0.05 + 0.95 * rng.random::<f64>();
                scratch.rows.push(Row {
                    month: m as u16,
                    stream: j as u8,
                    units: 0.0,
                    amount: -round2(amount * frac),
                    refund: true,
                    u,
                });
            }
        }
    }
    // Labour-market and education chains (for the states table).
    chain(
        rng,
        &mut scratch.job,
        months,
        0.03 * (-0.5 * s).exp(),
        0.04 * (0.4 * s).exp(),
    );
    chain(
        rng,
        &mut scratch.edu,
        months,
        0.04 * (-0.3 * s).exp(),
        0.03 * (0.4 * s).exp(),
    );

    // --- selection on the baseline, observed for everyone before any start date ---------------------------------
    let pre_cost: f64 = scratch
        .rows
        .iter()
        .filter(|r| (r.month as usize) < tf.baseline_months)
        .map(|r| r.amount)
        .sum();
    let z = ((1.0 + pre_cost.max(0.0)).ln() - SELECTION_COST_CENTRE) / SELECTION_COST_SCALE;
    let logit = SELECTION_INTERCEPT[seg]
        + SELECTION_COST_SLOPE * z
        + match level {
            Some(l) => SELECTION_LEVEL[(l - 1) as usize],
            None => SELECTION_LEVEL_MISSING,
        };
    let participant = rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp());

    // --- the observed path -------------------------------------------------------------------
    let removed = |j: usize, m: usize, u: f64| -> bool {
        participant && m >= start && u < model.effect(seg, streams[j].department, (m - start) / 12)
    };
    let p = tf.pre_years as i64;
    let years = tf.years as i64;
    let year_since = |m: usize| -> i64 {
        let d = m as i64 - start as i64;
        if d >= 0 { d / 12 } else { -((-d + 11) / 12) }
    };
    // Years since start fully inside the period, for the truth tables.
    if participant {
        for k in -p..(years - p) {
            let lo = start as i64 + 12 * k;
            if lo >= 0 && lo + 12 <= months as i64 {
                tally.count(seg, (k + p) as usize);
            }
        }
    }
    let local = persons.len() as u32;
    for r in &scratch.rows {
        let m = r.month as usize;
        let gone = removed(r.stream as usize, m, r.u);
        if participant {
            let k = year_since(m);
            let lo = start as i64 + 12 * k;
            if k >= -p && k < years - p && lo >= 0 && lo + 12 <= months as i64 {
                let dept = streams[r.stream as usize].department;
                tally.add(
                    seg,
                    dept,
                    (k + p) as usize,
                    if gone { 0.0 } else { r.amount },
                    r.amount,
                );
            }
        }
        if !gone {
            services.push(
                local,
                r.month,
                streams[r.stream as usize].stream.code,
                r.units,
                r.amount,
                r.refund,
            );
        }
    }

    // --- states ------------------------------------------------------------------------------
    for m in 0..months {
        let a = age(m);
        let mut placement = false;
        let mut shelter = false;
        let mut benefits = false;
        let mut lost_benefits = false;
        for (j, res) in streams.iter().enumerate() {
            let u = scratch.act[j * months + m];
            if u < 0.0 {
                continue;
            }
            let on = !removed(j, m, u);
            match res.stream.state {
                Some(State::Placement) if on => placement = true,
                Some(State::Shelter) if on => shelter = true,
                Some(State::Benefits) if on => benefits = true,
                Some(State::Benefits) => lost_benefits = true,
                _ => {}
            }
        }
        let state = if placement {
            State::Placement
        } else if shelter {
            State::Shelter
        } else if benefits {
            State::Benefits
        } else if lost_benefits {
            // Off benefits because of the intervention: into work.
            State::Job
        } else if seg == 2 && (a < 18 || (a < 30 && scratch.edu[m])) {
            // Pupils: in school until 18, then in education while the education chain is on.
            State::Education
        } else if a >= 18 && scratch.job[m] {
            State::Job
        } else {
            State::Home
        };
        states.push(local, m as u16, state);
    }

    tally.person(seg, participant, pre_cost, level);
    persons.push(
        global_index,
        municipality,
        birth_year,
        female,
        seg as u8,
        level,
        participant,
        participant.then(|| {
            let (y, mo) = (tf.year[start], start % 12 + 1);
            format!("{y:04}-{mo:02}-{start_day:02}")
        }),
    );
}
