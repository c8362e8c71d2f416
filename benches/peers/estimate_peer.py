"""Peer for `som estimate`: the matched difference-in-differences study a skilled analyst would
hand-write in Python with DuckDB and vectorised NumPy, run on a som case-data folder (som synth
output: persons.parquet, services.parquet, dataset.toml).

It does the study of models/studies/synthetic-all-segments.toml, following docs/estimation.md:

  1. services -> person x department x month amounts (DuckDB; the department of a code comes from
     som's department map and price catalogue, resolved here for the distinct codes, as in
     casedata_peer.py), then 12-month window sums from every month (NumPy cumsum);
  2. eligible participants (pre-period of PRE years and year 0 observed), the pool (all
     non-participants), a pseudo-index month per pool member drawn from the start months of the
     participants in their segment; features at the index month: ln(1 + cost) per department in
     years -1 .. -PRE, ln(1 + pre-period total), the same for the calendar baseline (2016-01, 2
     years) and its total, age at index, female, segment and coordination-level
     dummies; standardised; logistic regression by IRLS with a ridge of 1e-3 on the standardised
     coefficients;
  3. matching: exact on segment and age at the index date, the 3 nearest on the logit with
     replacement within a caliper of 0.2 SD of the logit, the candidates scored at the
     participant's index month (per block of segment x birth year, one np.searchsorted per month);
  4. balance (standardised mean differences before and after), difference-in-differences per
     department and total for years -PRE .. POST-1, the naive comparison;
  5. person bootstrap (B replicates, participants resampled with their matches; counts by
     np.bincount, one matrix product per batch), 95 % percentile intervals.

Simplifications against som: no validation of the input, no suppression of small cells, no
output files (only --json with the effects) and no input hashes, no states table and so no
transitions (time som on a folder whose dataset.toml names no states), the study's settings are
constants below rather than a study file; among comparison persons at exactly the same logit the
3 nearest are taken by sorted position, which matches som's rule (lowest person index first) on
the right of the participant's logit but not always on the left; the pseudo-index months and the
bootstrap draws come from NumPy's PCG64, not som's ChaCha12 streams.

Usage (pip install duckdb numpy pyarrow):
  python3 estimate_peer.py DIR [--replicates B] [--seed S] [--json OUT.json]
"""
import os, sys, time, tomllib

# The matrix products here are small (IRLS: n x 29; bootstrap: 50 x n by n x 56); threaded OpenBLAS
# gains nothing on them and, when another process shares the cores, slowed the bootstrap 10-40x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from casedata_peer import code_map  # noqa: E402  (department map + price catalogue lookup)

DEPT_ORDER_FILE = os.path.join(HERE, "..", "..", "models", "catalogues", "departments-dk.toml")

# The study (models/studies/synthetic-all-segments.toml).
PRE, POST = 2, 5
NEIGHBOURS = 3
CALIPER = 0.2
BASELINE_FROM, BASELINE_YEARS = "2016-01", 2     # baseline = { from = "2016-01", years = 2 }
RIDGE = 1e-3
LEVEL = 0.95
BATCH = 50                  # bootstrap replicates per matrix product


def irls(x, y, ridge, iters=50):
    """Logistic regression on standardised x (n x q) by Newton-Raphson; intercept first."""
    n, q = x.shape
    xi = np.empty((n, q + 1))
    xi[:, 0] = 1.0
    xi[:, 1:] = x
    rate = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    beta = np.zeros(q + 1)
    beta[0] = np.log(rate / (1 - rate))
    pen = np.full(q + 1, ridge)
    pen[0] = 0.0
    converged, it = False, 0
    for it in range(1, iters + 1):
        mu = 1.0 / (1.0 + np.exp(-(xi @ beta)))
        w = np.maximum(mu * (1 - mu), 1e-12)
        h = (xi * w[:, None]).T @ xi + np.diag(pen)
        g = xi.T @ (y - mu) - pen * beta
        step = np.linalg.solve(h, g)
        beta += step
        if np.abs(step).max() < 1e-9:
            converged = True
            break
    return beta, it, converged


def main(d, replicates=1000, seed=1, json_out=None):
    t_all = time.perf_counter()
    phases = []
    clock = [time.perf_counter()]

    def phase(name):
        now = time.perf_counter()
        phases.append((name, now - clock[0]))
        clock[0] = now

    # ---- 1. Load: persons, services -> person x department x month, 12-month windows ----------
    with open(os.path.join(d, "dataset.toml"), "rb") as f:
        meta = tomllib.load(f)
    per = pq.read_table(os.path.join(d, meta.get("persons", "persons.parquet")))
    pid = per["person_id"]
    P = per.num_rows
    birth = per["birth_year"].to_numpy().astype(np.int32)
    sex = per["sex"].to_numpy(zero_copy_only=False)
    female = ((sex == "F") | (sex == "K")).astype(np.float64)
    seg_raw = per["segment"].to_numpy(zero_copy_only=False)
    seg_names, first_ix, seg = np.unique(seg_raw, return_index=True, return_inverse=True)
    order = np.argsort(first_ix)                    # som: segments in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    seg = rank[seg].astype(np.int32)
    seg_names = seg_names[order]
    level = per["coordination_level"].fill_null(0).to_numpy().astype(np.int8)
    part = per["participant"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    start = per["start_date"].cast(pa.string())

    fy, fm = map(int, meta["period"]["from"].split("-")[:2])
    ty, tm = map(int, meta["period"]["to"].split("-")[:2])
    first_abs = fy * 12 + fm - 1
    months = ty * 12 + tm - 1 - first_abs + 1
    NW = months - 11                                # window starts 0 .. last_start

    con = duckdb.connect()
    svc = os.path.join(d, meta.get("services", "services.parquet"))
    codes = [r[0] for r in con.execute(f"select distinct code from '{svc}'").fetchall()]
    cmap = code_map(codes)
    with open(DEPT_ORDER_FILE, "rb") as f:
        dept_all = [x["id"] for x in tomllib.load(f)["department"]]
    depts = [x for x in dept_all if x in set(cmap.values())]     # departments with rows, map order
    D = len(depts)
    con.execute("create table map(code varchar, dix utinyint)")
    con.executemany("insert into map values (?, ?)", [(c, depts.index(x)) for c, x in cmap.items()])
    con.register("pers", pa.table({"person_id": pid, "pix": np.arange(P, dtype=np.int32)}))
    agg = con.execute(f"""
      select m.dix, p.pix,
             cast((cast(substr(s.period, 1, 4) as integer) * 12 + cast(substr(s.period, 6, 2) as integer) - 1
                   - {first_abs}) as smallint) as mon,
             sum(s.amount) as amount
      from '{svc}' s join map m using (code) join pers p using (person_id)
      group by all""").fetchnumpy()
    con.close()
    dix, pix, mon, amt = agg["dix"], agg["pix"], agg["mon"], agg["amount"]
    del agg
    phase("read + aggregate (DuckDB)")

    W = np.empty((D, NW, P), dtype=np.float32)      # W[d, m, p]: amount over months m .. m+11
    for k in range(D):
        sel = dix == k
        cs = np.zeros((months + 1, P))
        cs[mon[sel].astype(np.int64) + 1, pix[sel]] = amt[sel]
        np.cumsum(cs, axis=0, out=cs)
        np.subtract(cs[12:], cs[:NW], out=W[k], casting="same_kind")
        del cs, sel
    del dix, pix, mon, amt
    phase("12-month windows (NumPy)")

    # ---- 2. Sample, pseudo-index months, features, propensity score ---------------------------
    s_month = np.full(P, -10**6, dtype=np.int32)
    has = pc.fill_null(pc.greater_equal(pc.utf8_length(start), 7), False).to_numpy(zero_copy_only=False)
    st = pc.filter(start, pa.array(has))
    sy = pc.cast(pc.utf8_slice_codeunits(st, 0, 4), pa.int32()).to_numpy()
    sm = pc.cast(pc.utf8_slice_codeunits(st, 5, 7), pa.int32()).to_numpy()
    s_month[has] = sy * 12 + sm - 1 - first_abs
    elig = part & has & (s_month - 12 * PRE >= 0) & (s_month <= NW - 1)
    t_pix = np.flatnonzero(elig).astype(np.int64)
    t_mon = s_month[t_pix].astype(np.int64)
    pool = np.flatnonzero(~part).astype(np.int64)

    rng = np.random.default_rng(seed)
    p_mon = np.full(len(pool), -1, dtype=np.int64)
    for g in range(len(seg_names)):
        mg = t_mon[seg[t_pix] == g]
        sel = seg[pool] == g
        if len(mg):
            p_mon[sel] = mg[rng.integers(0, len(mg), sel.sum())]
    keep = p_mon >= 0
    ps_pix, ps_mon = pool[keep], p_mon[keep]

    # Features that do not depend on the index month: baseline costs, sex, segment, level.
    base_cols = []
    btot = np.zeros(P)
    by, bm = map(int, BASELINE_FROM.split("-"))
    b0 = by * 12 + bm - 1 - first_abs
    for k in range(D):
        y = sum(np.maximum(W[k][b0 + 12 * j], 0).astype(np.float64) for j in range(BASELINE_YEARS))
        btot += y
        base_cols.append(np.log1p(y))
    base_cols.append(np.log1p(btot))
    fixed = np.column_stack(
        base_cols + [female]
        + [(seg == g).astype(np.float64) for g in range(1, len(seg_names))]
        + [(level == 2).astype(np.float64), (level == 3).astype(np.float64), (level == 0).astype(np.float64)])
    names = ([f"ln(1 + cost) {x} year -{j}" for x in depts for j in range(1, PRE + 1)]
             + ["ln(1 + cost) pre-period total"]
             + [f"ln(1 + cost) {x} baseline" for x in depts] + ["ln(1 + cost) baseline total", "age at index",
                                                                "female"]
             + [f"segment {x}" for x in seg_names[1:]]
             + ["coordination level 2", "coordination level 3", "coordination level not recorded"])
    nb = D + 1

    def varying(pp, mm):
        """Pre-period costs (per department and year, and total) and age, at index month mm."""
        out = np.empty((len(pp), D * PRE + 2))
        tot = np.zeros(len(pp))
        c = 0
        for k in range(D):
            wk = W[k]
            for j in range(1, PRE + 1):
                y = np.maximum(wk[mm - 12 * j, pp], 0).astype(np.float64)
                tot += y
                out[:, c] = np.log1p(y)
                c += 1
        out[:, c] = np.log1p(tot)
        out[:, c + 1] = (mm + first_abs) // 12 - birth[pp]
        return out

    def varying_grid(cands, ms):
        """The same, for every candidate at every index month of a block: (months, candidates, q)."""
        out = np.empty((len(ms), len(cands), D * PRE + 2))
        tot = np.zeros((len(ms), len(cands)))
        c = 0
        for k in range(D):
            for j in range(1, PRE + 1):
                y = np.maximum(W[k][np.ix_(ms - 12 * j, cands)], 0).astype(np.float64)
                tot += y
                np.log1p(y, out=out[:, :, c])
                c += 1
        out[:, :, c] = np.log1p(tot)
        out[:, :, c + 1] = (ms[:, None] + first_abs) // 12 - birth[cands][None, :]
        return out

    def features(pp, mm):
        v = varying(pp, mm)
        f = fixed[pp]
        return np.hstack([v[:, :-1], f[:, :nb], v[:, -1:], f[:, nb:]])   # som's column order

    rows_pix = np.concatenate([t_pix, ps_pix])
    rows_mon = np.concatenate([t_mon, ps_mon])
    X = features(rows_pix, rows_mon)
    yv = np.zeros(len(rows_pix))
    yv[:len(t_pix)] = 1.0
    centre = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale <= 1e-6] = 1.0
    Xs = (X - centre) / scale
    phase("sample + features")
    beta, iters, converged = irls(Xs, yv, RIDGE)
    logits = beta[0] + Xs @ beta[1:]
    caliper = CALIPER * max(logits.std(), 1e-9)
    t_logit = logits[:len(t_pix)]
    del Xs
    # Logit on raw features: a0 + fixed part (per person) + varying part (per person and month).
    a = beta[1:] / scale
    a0 = beta[0] - a @ centre
    nv = D * PRE + 1
    a_var = np.concatenate([a[:nv], a[nv + nb:nv + nb + 1]])
    a_fix = np.concatenate([a[nv:nv + nb], a[nv + nb + 1:]])
    phase("propensity (IRLS)")

    # ---- 3. Matching: exact on segment and age at index, 3 nearest on the logit ---------------
    t_born = birth[t_pix]
    t_seg = seg[t_pix]
    pool_key = seg[pool].astype(np.int64) * 10000 + birth[pool]
    po = np.argsort(pool_key, kind="stable")                 # blocks of candidates, person order
    pool_sorted, key_sorted = pool[po], pool_key[po]
    t_key = t_seg.astype(np.int64) * 10000 + t_born
    matches = np.full((len(t_pix), NEIGHBOURS), -1, dtype=np.int64)
    t_order = np.lexsort((t_mon, t_key))
    tk, tmn = t_key[t_order], t_mon[t_order]
    bounds = np.flatnonzero(np.diff(tk)) + 1
    off = np.arange(-NEIGHBOURS, NEIGHBOURS)
    for blk in np.split(np.arange(len(tk)), bounds):
        key = tk[blk[0]]
        lo, hi = np.searchsorted(key_sorted, [key, key + 1])
        cands = pool_sorted[lo:hi]
        if len(cands) == 0:
            continue
        ms, mstart = np.unique(tmn[blk], return_index=True)
        L = varying_grid(cands, ms) @ a_var + (a0 + fixed[cands] @ a_fix)[None, :]   # months x cands
        mend = np.append(mstart[1:], len(blk))
        for j in range(len(ms)):
            o = np.argsort(L[j], kind="stable")
            sl, sc = L[j, o], cands[o]
            members = t_order[blk[mstart[j]:mend[j]]]
            lt = t_logit[members]
            pos = np.searchsorted(sl, lt, side="left")
            idx = pos[:, None] + off[None, :]
            ok = (idx >= 0) & (idx < len(sl))
            idc = np.clip(idx, 0, len(sl) - 1)
            dist = np.where(ok, np.abs(sl[idc] - lt[:, None]), np.inf)
            pers = np.where(ok, sc[idc], np.iinfo(np.int64).max)
            best = np.lexsort((pers, dist), axis=1)[:, :NEIGHBOURS]
            bd = np.take_along_axis(dist, best, 1)
            bp = np.take_along_axis(pers, best, 1)
            matches[members] = np.where(bd <= caliper, bp, -1)
    nm = (matches >= 0).sum(axis=1)
    matched = nm > 0
    phase("matching")

    # ---- 4. Balance, difference-in-differences, naive ----------------------------------------
    ks = np.arange(-PRE, POST)
    kn = len(ks)
    u_pix, u_mon, u_m, u_nm = t_pix[matched], t_mon[matched], matches[matched], nm[matched]
    n = len(u_pix)
    wgt = (u_m >= 0) / u_nm[:, None]                         # n x 3 weights 1/m
    Xt = X[:len(t_pix)]
    Xc = features(np.where(u_m >= 0, u_m, 0).ravel(), np.repeat(u_mon, NEIGHBOURS))
    Xp = X[len(t_pix):]
    mt_all, vt = Xt.mean(0), Xt.var(0)
    mc, vc = Xp.mean(0), Xp.var(0)
    mt = Xt[matched].mean(0)
    mm_ = (Xc * wgt.ravel()[:, None]).sum(0) / wgt.sum()
    sd = np.sqrt((vt + vc) / 2)
    sd[sd <= 1e-12] = np.inf
    smd_before, smd_after = (mt_all - mc) / sd, (mt - mm_) / sd

    def paths(pp, mm):
        """Cost per department (+ total) and year since start; 0 outside; and observed flags."""
        y = np.zeros(pp.shape + (D + 1, kn))
        for i, k in enumerate(ks):
            m = mm + 12 * k
            inside = (m >= 0) & (m <= NW - 1)
            mc_ = np.clip(m, 0, NW - 1)
            for dk in range(D):
                y[..., dk, i] = np.where(inside, W[dk][mc_, pp], 0.0)
        y[..., D, :] = y[..., :D, :].sum(-2)
        return y

    def did(y):
        return y - y[..., :PRE].mean(-1, keepdims=True)

    obs = ((u_mon[:, None] + 12 * ks[None, :]) <= NW - 1).astype(np.float64)   # n x kn
    yt = paths(u_pix, u_mon)                                                  # n x (D+1) x kn
    yc = paths(np.where(u_m >= 0, u_m, 0), np.broadcast_to(u_mon[:, None], u_m.shape))
    dc = (did(yc) * wgt[:, :, None, None]).sum(1)
    contrib = (did(yt) - dc) * obs[:, None, :]
    cells = (D + 1) * kn
    Xb = np.hstack([contrib.reshape(n, cells), obs])                          # n x (cells + kn)
    col = Xb.sum(0)
    den = np.tile(col[cells:], D + 1)
    point = col[:cells] / np.maximum(den, 1)
    # Baseline levels (participants observed, comparison path) and the naive comparison.
    lev_t = (yt * obs[:, None, :]).sum(0) / np.maximum(obs.sum(0), 1)
    lev_c = ((yc * wgt[:, :, None, None]).sum(1) * obs[:, None, :]).sum(0) / np.maximum(obs.sum(0), 1)

    def group_mean(pp, mm):
        y = paths(pp, mm)
        o = ((mm[:, None] + 12 * ks[None, :]) <= NW - 1).astype(np.float64)
        return (y * o[:, None, :]).sum(0) / np.maximum(o.sum(0), 1)

    naive = (group_mean(t_pix, t_mon) - group_mean(ps_pix, ps_mon)).ravel()
    phase("balance + did + naive")

    # ---- 5. Bootstrap ------------------------------------------------------------------------
    brng = np.random.default_rng(seed)
    boot = np.empty((replicates, cells))
    ki = np.tile(np.arange(kn), D + 1)
    for b0 in range(0, replicates, BATCH):
        nb_ = min(BATCH, replicates - b0)
        draw = brng.integers(0, n, size=(nb_, n))
        draw += (np.arange(nb_) * n)[:, None]
        counts = np.bincount(draw.ravel(), minlength=nb_ * n).reshape(nb_, n).astype(np.float64)
        s = counts @ Xb
        with np.errstate(invalid="ignore", divide="ignore"):
            boot[b0:b0 + nb_] = s[:, :cells] / s[:, cells + ki]
    alpha = (1 - LEVEL) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha], axis=0)
    se = np.nanstd(boot, axis=0, ddof=1)
    phase("bootstrap")

    # ---- Report --------------------------------------------------------------------------------
    print(f"estimate peer on {d}: {P} persons, {len(t_pix)} eligible, {n} matched, "
          f"{len(t_pix) - n} unmatched, pool {len(ps_pix)}, {len(np.unique(u_m[u_m >= 0]))} comparison persons")
    print(f"propensity: {X.shape[1]} features, {iters} iterations, converged {converged}, logit sd "
          f"{logits.std():.4f}, caliper {caliper:.4f}; max |SMD| before {np.abs(smd_before).max():.3f}, "
          f"after {np.abs(smd_after).max():.3f}")
    print(f"{'total':<8}{'year':>5}{'n':>8}{'effect':>12}{'se':>10}{'low':>12}{'high':>12}{'naive':>12}")
    for i, k in enumerate(ks):
        c = D * kn + i
        print(f"{'':<8}{k:>5}{int(col[cells + i]):>8}{point[c]:>12.0f}{se[c]:>10.0f}{low[c]:>12.0f}"
              f"{high[c]:>12.0f}{naive[c]:>12.0f}")
    for name, s in phases:
        print(f"  {name:<28}{s:8.2f} s")
    print(f"  {'wall':<28}{time.perf_counter() - t_all:8.2f} s")
    if json_out:
        import json
        dn = depts + ["total"]
        rows = [dict(department=dn[c // kn], year_since_start=int(ks[c % kn]),
                     participants=int(col[cells + c % kn]), estimate=point[c], se=se[c], low=low[c],
                     high=high[c], naive=naive[c]) for c in range(cells)]
        bal = [dict(covariate=names[j], smd_before=smd_before[j], smd_after=smd_after[j])
               for j in range(len(names))]
        lev = [dict(department=dn[c // kn], year_since_start=int(ks[c % kn]),
                    participants=lev_t.ravel()[c], comparison=lev_c.ravel()[c]) for c in range(cells)]
        with open(json_out, "w") as f:
            json.dump(dict(effects=rows, balance=bal, baseline=lev, coefficients=beta.tolist(),
                           features=names, phases=dict(phases)), f, indent=1)


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = dict(replicates=1000, seed=1, json_out=None)
    d = None
    while args:
        a = args.pop(0)
        if a == "--replicates":
            opts["replicates"] = int(args.pop(0))
        elif a == "--seed":
            opts["seed"] = int(args.pop(0))
        elif a == "--json":
            opts["json_out"] = args.pop(0)
        else:
            d = a
    main(d, **opts)
