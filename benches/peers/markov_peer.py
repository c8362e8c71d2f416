"""Markov cohort PSA peer: the benchmark models of som (benches/peers/markov_4state.toml and
markov_10state.toml) as a skilled analyst writes them by hand in vectorised NumPy.

Per draw: every row given as counts is a Dirichlet draw (gamma(n, 1) normalised), the relative
risk is log-normal (from its 95 % interval), the state costs are gamma (from mean and sd). The
cohort is advanced for all draws at once, draws × states, with one einsum per cycle; the
intervention arm applies the relative risk to every transition off the diagonal (the diagonal
the complement) for its first cycles. Conventions as in the scenario: transitions at the start
of each cycle (cycle k counts m_{k+1}), no within-cycle correction, costs discounted at the end
of each yearly cycle, life-years undiscounted. Outputs: mean costs and life-years per arm, the
ICER, and the acceptability curve over 51 values per life-year (as som reports it).

    python markov_peer.py SCENARIO.toml DRAWS [--seed S] [--check SUMMARY_JSON]

`--check` compares the peer's mean incremental cost and life-years with som's summary.json of a
run with the same number of draws: they agree within 4 standard errors of the difference of
two independent Monte Carlo means.
"""

import argparse
import json
import math
import time
import tomllib

import numpy as np


def amount(p):
    """(mean, sd) of a scenario number or a gamma given by mean and sd; sd 0 when fixed."""
    if isinstance(p, dict):
        if p.get("dist") == "gamma":
            return float(p["mean"]), float(p["sd"])
        return float(p["value"]), 0.0
    return float(p), 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("draws", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run sampling + simulation this many times; report each time")
    a = ap.parse_args()
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        out, dc, de, n = run(a)
        times.append(time.perf_counter() - t0)
    out["seconds"] = sorted(times)
    print(json.dumps(out, indent=1))
    if a.check:
        check(a.check, dc, de, n)


def run(a):
    with open(a.scenario, "rb") as f:
        sc = tomllib.load(f)
    st = sc["states"]
    names = st["names"]
    S = len(names)
    idx = {n: i for i, n in enumerate(names)}
    K = st["cycles"]
    n = a.draws
    rng = np.random.default_rng(a.seed)

    # Sampling: Dirichlet rows, log-normal relative risk, gamma costs.
    counts = np.array([st["arm"]["baseline"]["matrix"][0]["rows"][s] for s in names], float)
    g = rng.gamma(np.where(counts > 0, counts, 1.0), size=(n, S, S)) * (counts > 0)
    P = g / g.sum(axis=2, keepdims=True)
    eff = st["effect"][0]
    rr_p = eff["rr"]
    lo, hi = math.log(rr_p["low"]), math.log(rr_p["high"])
    rr = rng.lognormal((lo + hi) / 2, (hi - lo) / (2 * 1.959963984540054), size=n)
    eye = np.eye(S, dtype=bool)
    Pc = P * rr[:, None, None]
    Pc[:, eye] = 0.0
    Pc[:, eye] = 1.0 - Pc.sum(axis=2)
    eff_cycles = eff.get("cycles", K)

    # State costs per arm and cycle window: [arm] → list of (state, from, to, draws).
    base_cost = np.zeros((n, S))
    int_cost = np.zeros((n, S))
    int_windows = []
    for c in st["cost"]:
        mean, sd = amount(c["amount"])
        v = rng.gamma((mean / sd) ** 2, sd * sd / mean, size=n) if sd > 0 else np.full(n, mean)
        s = idx[c["state"]]
        arms = [c["arm"]] if "arm" in c else ["baseline", "intervention"]
        window = (c.get("from_cycle", 0), c.get("to_cycle", 10**9))
        for arm in arms:
            if window != (0, 10**9):
                int_windows.append((arm, s, window, v))
            elif arm == "baseline":
                base_cost[:, s] += v
            else:
                int_cost[:, s] += v
    ly_w = np.zeros(S)
    for s, v in st["outcome"][0]["values"].items():
        ly_w[idx[s]] = v
    r = sc["discounting"]["rate"]
    r = r["value"] if isinstance(r, dict) else r

    # Simulation: draws × states, one einsum per cycle.
    res = {}
    for arm, cost in (("baseline", base_cost), ("intervention", int_cost)):
        m = np.zeros((n, S))
        m[:, idx[next(iter(st["initial"]))]] = 1.0
        tc = np.zeros(n)
        ly = np.zeros(n)
        for k in range(K):
            Pk = Pc if (arm == "intervention" and k < eff_cycles) else P
            m = np.einsum("ds,dst->dt", m, Pk)
            c = (m * cost).sum(axis=1)
            for arm_w, s, (f, t), v in int_windows:
                if arm_w == arm and f <= k < t:
                    c += m[:, s] * v
            tc += c / (1 + r) ** (k + 1)
            ly += m @ ly_w
        res[arm] = (tc, ly)
    dc = res["intervention"][0] - res["baseline"][0]
    de = res["intervention"][1] - res["baseline"][1]
    icer = dc.mean() / de.mean()
    values = np.linspace(0, 2 * abs(icer), 51)
    ceac = ((values[:, None] * de[None, :] - dc[None, :]) > 0).mean(axis=1)
    out = {
        "draws": n,
        "cost": {k: float(v[0].mean()) for k, v in res.items()},
        "life_years": {k: float(v[1].mean()) for k, v in res.items()},
        "incremental_cost": float(dc.mean()),
        "incremental_life_years": float(de.mean()),
        "icer": float(icer),
        "p_at_icer": float(ceac[25]),
    }
    return out, dc, de, n


def check(path, dc, de, n):
    with open(path) as f:
        s = json.load(f)
    u = s["markov"]["uncertainty"][0]
    for key, mine, sd in (
        ("incremental_cost", dc.mean(), dc.std()),
        ("gain", de.mean(), de.std()),
    ):
        theirs = u[key]["mean"]
        se = math.sqrt(2 * sd * sd / n)
        ok = abs(mine - theirs) <= 4 * se
        print(f"{key}: peer {mine:.6g}, som {theirs:.6g}, 4 se {4 * se:.3g}: "
              f"{'agree' if ok else 'DIFFER'}")


if __name__ == "__main__":
    main()
