"""Peer for `som check`: the aggregation a researcher would hand-write, in DuckDB and in polars,
run on a som case-data folder (som synth output: persons.parquet, services.parquet).

It follows ../shared/peers/casedata_anchor.py (the anchor the project measures against), adapted
to som's case-data contract: period is "YYYY-MM" text, the index date is start_date, and the
department of a code comes from som's department map and price catalogue (prefix rules resolved
here for the distinct codes, as an analyst would build a lookup table). It computes, per
participant group x department x year since the index, the mean amount per person with services
and the number of such persons -- the by-relative-year table of `som check` -- and nothing else:
no validation, no report, no suppression.

Usage (pip install duckdb polars pyarrow):
  python3 casedata_peer.py duckdb DIR REFERENCE_YEAR
  python3 casedata_peer.py polars DIR REFERENCE_YEAR
"""
import os, sys, time, tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUES = os.path.join(HERE, "..", "..", "models", "catalogues")


def department_of(code, departments, items):
    best, best_len = None, -1
    for d in departments:
        for f in d.get("functions", []):
            if f.endswith("*"):
                p = f[:-1]
                if code.startswith(p) and len(p) > best_len:
                    best, best_len = d["id"], len(p)
            elif f == code:
                return d["id"]
    if best is not None:
        return best
    for it in items:
        if it["id"] == code:
            if "department" in it:
                return it["department"]
            if "function" in it:
                return department_of(it["function"], departments, [])
    return None


def code_map(codes):
    with open(os.path.join(CATALOGUES, "departments-dk.toml"), "rb") as f:
        departments = tomllib.load(f)["department"]
    with open(os.path.join(CATALOGUES, "prices-dk.toml"), "rb") as f:
        items = tomllib.load(f)["item"]
    return {c: department_of(c, departments, items) for c in codes}


def run_duckdb(d, ref):
    import duckdb
    t0 = time.perf_counter()
    con = duckdb.connect()
    codes = [r[0] for r in con.execute(f"select distinct code from '{d}/services.parquet'").fetchall()]
    m = code_map(codes)
    con.execute("create table map(code varchar, department varchar)")
    con.executemany("insert into map values (?, ?)", list(m.items()))
    out = con.execute(f"""
      with s as (
        select s.person_id, p.participant, m.department,
               cast(substr(s.period, 1, 4) as integer)
                 - case when p.participant then cast(substr(p.start_date, 1, 4) as integer) else {ref} end as rel,
               s.amount, s.units
        from '{d}/services.parquet' s
        join map m using (code)
        join '{d}/persons.parquet' p using (person_id)),
      pp as (select person_id, participant, department, rel, sum(amount) a, sum(units) u from s group by all)
      select participant, department, rel, avg(a) mean_amount, avg(u) mean_units, count(distinct person_id) persons
      from pp group by all""").fetchall()
    t1 = time.perf_counter()
    print(f"duckdb {duckdb.__version__}: {t1 - t0:.2f} s, {len(out)} result rows, sum {sum(r[3] for r in out):.6e}")


def run_polars(d, ref):
    import polars as pl
    t0 = time.perf_counter()
    codes = pl.scan_parquet(f"{d}/services.parquet").select(pl.col("code").unique()).collect()["code"].to_list()
    m = code_map(codes)
    dmap = pl.DataFrame({"code": list(m.keys()), "department": list(m.values())}).lazy()
    persons = pl.scan_parquet(f"{d}/persons.parquet")
    q = (pl.scan_parquet(f"{d}/services.parquet")
         .join(dmap, on="code", how="inner")
         .join(persons, on="person_id", how="inner")
         .with_columns(ref_year=pl.when(pl.col("participant"))
                       .then(pl.col("start_date").str.slice(0, 4).cast(pl.Int32)).otherwise(ref))
         .with_columns(rel=pl.col("period").str.slice(0, 4).cast(pl.Int32) - pl.col("ref_year"))
         .group_by(["person_id", "participant", "department", "rel"])
         .agg(pl.col("amount").sum(), pl.col("units").sum())
         .group_by(["participant", "department", "rel"])
         .agg(pl.col("amount").mean().alias("mean_amount"), pl.col("units").mean().alias("mean_units"),
              pl.col("person_id").n_unique().alias("persons")))
    out = q.collect(engine="streaming")
    t1 = time.perf_counter()
    print(f"polars {pl.__version__}: {t1 - t0:.2f} s, {out.height} result rows, sum {out['mean_amount'].sum():.6e}")


if __name__ == "__main__":
    cmd, d, ref = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"duckdb": run_duckdb, "polars": run_polars}[cmd](d, ref)
