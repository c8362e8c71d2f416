"""Monte Carlo peer: models/youth-mental-health.toml as a skilled analyst writes it by hand in
vectorised NumPy (with SciPy's beta quantile for the correlated betas and PERTs).

The same scenario as som's bundled model: five cohorts with gamma-distributed participants, two
years in the effort, triangular and gamma costs with a triangular cost uplift, beta success
rates with and without (correlated through a Gaussian copula), PERT changes in units of the
catalogue's services (two of them correlated), the persistence shapes of each consequence line,
the dk-fm-2021 discount rate (3.5 %, start of year), ten departments of four actors, the total
over the public actors. Unit prices come from som's catalogues (moved to 2025 prices with the
catalogue's price index), read with tomllib, as an analyst would copy them.

Everything is arrays of shape (draws,) or (draws, years): the draws of every input are sampled
at once, the flows are built line by line as outer products with the year shapes, and NPV,
P(NPV > 0) and percentiles are reductions over the draw axis.

    python mc_peer.py DRAWS [--seed S] [--check SUMMARY_JSON]

`--check` compares the peer's mean NPV (total and by department) with som's summary.json of a
run with the same number of draws: they agree when the difference is within 4 standard errors
of the difference of two independent Monte Carlo means.
"""

import argparse
import json
import pathlib
import tomllib

import numpy as np
from scipy.stats import beta as beta_dist
from scipy.stats import norm

ROOT = pathlib.Path(__file__).resolve().parents[2]
CAT = ROOT / "models" / "catalogues"
H = 15  # horizon, years 0..14 (2026–2040)
DURATION = 2
PRICE_YEAR = 2025

# Departments and the actor each belongs to (models/catalogues/departments-dk-ungeindsats.toml).
DEPTS = {
    "born_familie": "kommune", "skole": "kommune", "voksen_social": "kommune",
    "beskaeftigelse": "kommune", "sundhed": "kommune", "okonomi": "kommune",
    "ungeindsats": "kommune", "region": "region", "stat": "stat", "borger": "borger",
}
PUBLIC = {"kommune", "region", "stat"}
D = {d: i for i, d in enumerate(DEPTS)}

# Where each item's price lands, by actor: the department owning its chart-of-accounts function
# (or named in the catalogue); other actors' shares land in their own department.
ITEM_DEPT = {
    "specialskole": "skole", "forebyggende_foranstaltning": "born_familie",
    "bostotte_85": "voksen_social", "botilbud_107": "voksen_social",
    "uddannelseshjaelp": "beskaeftigelse", "kontanthjaelp_uden_born": "beskaeftigelse",
    "jobcenter_indsats": "beskaeftigelse",
}


def prices():
    """Unit prices in 2025 prices by item and actor, from som's catalogues."""
    index = tomllib.loads((CAT / "price-index-dk.toml").read_text())
    rates = {i["id"]: {r["year"]: r["rate"] for r in i["rate"]} for i in index["index"]}
    out = {}
    for item in tomllib.loads((CAT / "prices-dk.toml").read_text())["item"]:
        f = 1.0
        for y in range(item["year"] + 1, PRICE_YEAR + 1):
            f *= 1.0 + rates[item.get("index", "general_pl")][y]
        out[item["id"]] = {a: p * f for a, p in item["price"].items()}
    return out


def gamma(rng, mean, sd, n):
    return rng.gamma(mean * mean / (sd * sd), sd * sd / mean, n)


def beta_ab(mean, sd):
    k = mean * (1 - mean) / (sd * sd) - 1
    return mean * k, (1 - mean) * k


def pert_ab(lo, mode, hi):
    return 1 + 4 * (mode - lo) / (hi - lo), 1 + 4 * (hi - mode) / (hi - lo)


def pert(rng, lo, mode, hi, n):
    return lo + (hi - lo) * rng.beta(*pert_ab(lo, mode, hi), n)


def persistence(n, decay=None, profile=None, phase_in=None, years=None):
    """Persistence by years since onset, (draws, K) for K = H: decay (draws,) or fixed,
    profile list, phase-in list, years cut-off."""
    k = np.arange(H)
    if profile is not None:
        p = np.zeros(H)
        p[: len(profile)] = profile
        out = np.broadcast_to(p, (n, H)).copy()
    elif decay is not None:
        out = (1.0 - np.asarray(decay, dtype=float).reshape(-1, 1)) ** k
        out = np.broadcast_to(out, (n, H)).copy()
    else:
        out = np.ones((n, H))
    if phase_in is not None:
        ph = np.ones(H)
        ph[: len(phase_in)] = phase_in
        out *= ph
    if years is not None:
        out[:, years:] = 0.0
    return out


def place(flows, dept, per_year):
    """Add (draws, H) flows into the department's slot of flows (draws, depts, H)."""
    flows[:, D[dept], :] += per_year


def run(draws, seed):
    rng = np.random.default_rng(seed)
    n = draws
    price = prices()
    t = np.arange(H)
    df = 1.035 ** -t  # dk-fm-2021: 3.5 % in years 0–35, flows at the start of the year

    # Inputs.
    uplift = rng.triangular(0.0, 0.05, 0.25, n)
    cohorts = [(0, gamma(rng, 30, 6, n))] + [(s, gamma(rng, 40, 8, n)) for s in (1, 2, 3, 4)]
    cost_coord = rng.triangular(25000, 30000, 45000, n)
    cost_mentor = rng.triangular(15000, 20000, 30000, n)
    cost_psych = gamma(rng, 12000, 3000, n)
    startup_training = rng.triangular(200000, 300000, 500000, n)
    decay = rng.beta(*beta_ab(0.05, 0.02), n)
    # Correlated: success with/without (rho 0.5); uddannelseshjælp and jobcenter units (0.6).
    z = rng.standard_normal((n, 4))
    y_w = z[:, 0]
    y_wo = 0.5 * z[:, 0] + np.sqrt(1 - 0.25) * z[:, 1]
    y_u = z[:, 2]
    y_j = 0.6 * z[:, 2] + np.sqrt(1 - 0.36) * z[:, 3]
    s_with = beta_dist.ppf(norm.cdf(y_w), *beta_ab(0.45, 0.06))
    s_without = beta_dist.ppf(norm.cdf(y_wo), *beta_ab(0.30, 0.05))
    units_udd = -0.5 + 0.4 * beta_dist.ppf(norm.cdf(y_u), *pert_ab(-0.5, -0.3, -0.1))
    units_job = -0.5 + 0.5 * beta_dist.ppf(norm.cdf(y_j), *pert_ab(-0.5, -0.3, 0.0))
    units = {
        "specialskole": pert(rng, -0.15, -0.05, 0.0, n),
        "forebyggende_foranstaltning": pert(rng, -0.3, -0.15, 0.0, n),
        "bostotte_85": pert(rng, -80, -40, 0, n),
        "botilbud_107": pert(rng, -0.04, -0.015, 0.0, n),
        "uddannelseshjaelp": units_udd,
        "kontanthjaelp_uden_born": pert(rng, -0.3, -0.15, 0.0, n),
        "jobcenter_indsats": units_job,
        "ungdomsuddannelse_elevaar": pert(rng, 0.2, 0.5, 0.8, n),
        "psykiatri_sengedag": pert(rng, -6, -3, 0, n),
        "akut_indlaeggelse": pert(rng, -0.1, -0.05, 0.0, n),
    }
    rehab = rng.triangular(-4000, -2000, 0, n)
    tax_k = rng.triangular(-12000, -7500, -3000, n)
    tax_s = rng.triangular(-24000, -15000, -6000, n)
    income = rng.triangular(-40000, -25000, -10000, n)

    # Investment (costs +) and consequences (expenditure +, saving −), (draws, depts, H).
    invest = np.zeros((n, len(D), H))
    conseq = np.zeros((n, len(D), H))
    in_effort = [(t >= s) & (t < s + DURATION) for s, _ in cohorts]
    up = (1 + uplift)[:, None]
    per_participant_year = [
        ("ungeindsats", cost_coord[:, None] * up),
        ("ungeindsats", cost_mentor[:, None] * up),
        ("sundhed", cost_psych[:, None] * up),
        ("born_familie", 4000 * up),
        ("beskaeftigelse", 6000 * up),
        ("voksen_social", 3000 * up),
        ("skole", 3000 * up),
        ("beskaeftigelse", np.full((n, 1), -5000.0)),  # replaced services
        ("ungeindsats", np.full((n, 1), -4000.0)),
    ]
    for (s, people), window in zip(cohorts, in_effort):
        for dept, amount in per_participant_year:
            place(invest, dept, people[:, None] * amount * window)
    invest[:, D["ungeindsats"], 0] += startup_training * (1 + uplift)
    invest[:, D["okonomi"], 0] += 150000 * (1 + uplift)

    # Persistence by years since onset, and the onset of each line.
    default = persistence(n, decay=decay)
    after_exit = DURATION
    lines = [  # (what, per-success values (draws,), by (dept, price), persistence, onset)
        ("specialskole", persistence(n, profile=[1, 1, 0.5]), 0),
        ("forebyggende_foranstaltning", persistence(n, profile=[1, 1, 0.5]), 0),
        ("bostotte_85", default, after_exit),
        ("botilbud_107", default, after_exit),
        ("uddannelseshjaelp", persistence(n, decay=0.05, years=8), after_exit),
        ("kontanthjaelp_uden_born", persistence(n, decay=0.05, phase_in=[0] * 8 + [1]), after_exit),
        ("jobcenter_indsats", default, after_exit),
        ("ungdomsuddannelse_elevaar", persistence(n, profile=[1, 1, 1]), after_exit),
        ("psykiatri_sengedag", default, after_exit),
        ("akut_indlaeggelse", default, after_exit),
    ]
    taxes = persistence(n, decay=0.05, phase_in=[0.5, 0.75, 1])
    amounts = [
        ("sundhed", rehab, default),
        ("okonomi", tax_k, taxes),
        ("stat", tax_s, taxes),
        ("borger", income, taxes),
    ]
    net_success = s_with - s_without
    for s, people in cohorts:
        successes = people * net_success
        for item, pers, onset in lines:
            start = s + onset
            shaped = np.zeros((n, H))
            shaped[:, start:] = pers[:, : H - start]
            for actor, p in price[item].items():
                dept = ITEM_DEPT.get(item, actor) if actor == "kommune" else actor
                place(conseq, dept, (successes * units[item] * p)[:, None] * shaped)
        start = s + after_exit
        for dept, amount, pers in amounts:
            shaped = np.zeros((n, H))
            shaped[:, start:] = pers[:, : H - start]
            place(conseq, dept, (successes * amount)[:, None] * shaped)

    # Metrics: benefits = − consequences; PV by department; total over public actors.
    cost_pv = invest @ df
    benefit_pv = -conseq @ df
    npv_dept = benefit_pv - cost_pv
    public = np.array([DEPTS[d] in PUBLIC for d in D])
    npv = npv_dept[:, public].sum(axis=1)
    return npv, npv_dept


def summarise(npv, npv_dept):
    def stats(x):
        lo, med, hi = np.percentile(x, [5, 50, 95])
        return {
            "mean": float(x.mean()), "sd": float(x.std(ddof=1)), "median": float(med),
            "low": float(lo), "high": float(hi), "p_npv_positive": float((x > 0).mean()),
        }

    return {
        "total": stats(npv),
        "by_department": {d: stats(npv_dept[:, i]) for d, i in D.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("draws", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", type=pathlib.Path)
    a = ap.parse_args()
    out = summarise(*run(a.draws, a.seed))
    t = out["total"]
    print(f"{a.draws} draws: NPV mean {t['mean']:,.0f}, median {t['median']:,.0f}, "
          f"5–95 % {t['low']:,.0f} to {t['high']:,.0f}, P(NPV > 0) = {t['p_npv_positive']:.3f}")
    for d, s in out["by_department"].items():
        print(f"  {d:<16} NPV {s['mean']:>14,.0f} ({s['low']:,.0f} to {s['high']:,.0f}), "
              f"P(NPV > 0) = {s['p_npv_positive']:.3f}")
    if a.check:
        som = json.loads(a.check.read_text())["uncertainty"]
        n_som = som["draws"]
        groups = [("total", som["total"]["npv"], t)] + [
            (g["id"], g["npv"], out["by_department"][g["id"]]) for g in som["by_department"]
        ]
        ok = True
        for name, s, p in groups:
            se = np.sqrt(s["sd"] ** 2 / n_som + p["sd"] ** 2 / a.draws)
            z = (p["mean"] - s["mean"]) / se if se > 0 else 0.0
            ok &= abs(z) < 4
            print(f"  check {name:<16} som {s['mean']:>14,.0f}  peer {p['mean']:>14,.0f}  "
                  f"difference {z:+.2f} standard errors")
        print("agree within Monte Carlo error" if ok else "DISAGREE")
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
