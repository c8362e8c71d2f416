"""What can be checked here of `docs/scale-out.md`'s Slurm and Kubernetes sections (neither runs
here): the Slurm cluster is made exactly as the doc writes it and its job script checked; the
Kubernetes manifest is parsed and checked against what the doc says a worker needs. The snippets
are read from the doc, so a change to it that breaks these rules fails here."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/scale-out.md"


def blocks(heading: str, lang: str) -> list[str]:
    """The fenced code blocks in `lang` of the doc's section `## heading`."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end >= 0 else None]
    return re.findall(rf"```{lang}\n(.*?)```", section, flags=re.S)


def call(tree: ast.AST, name: str) -> ast.Call:
    """The one call of `name` (a function or attribute) in the code."""
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and
             (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]
    assert len(found) == 1, (name, len(found))
    return found[0]


def literal_args(c: ast.Call) -> tuple[list, dict]:
    return ([ast.literal_eval(a) for a in c.args],
            {k.arg: ast.literal_eval(k.value) for k in c.keywords
             if isinstance(k.value, ast.Constant | ast.List | ast.Dict | ast.Tuple)})


# --- Slurm -------------------------------------------------------------------------------------


def test_slurm_cluster_as_documented_makes_the_job_script_the_doc_describes():
    pytest.importorskip("dask_jobqueue")
    import dask

    (code,) = blocks("On a Slurm cluster (dask-jobqueue)", "python")
    tree = ast.parse(code)
    make = [s for s in tree.body if isinstance(s, ast.Assign)
            and isinstance(s.value, ast.Call) and getattr(s.value.func, "id", "") == "SLURMCluster"]
    assert len(make) == 1
    env: dict = {}
    exec("from dask_jobqueue import SLURMCluster", env)
    # The scheduler it starts listens on loopback only; nothing else differs from the doc.
    with dask.config.set({"jobqueue.slurm.scheduler-options": {"host": "127.0.0.1"}}):
        exec(compile(ast.Module(body=make, type_ignores=[]), str(DOC), "exec"), env)
    cluster = env["cluster"]
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    _, kw = literal_args(make[0].value)
    sbatch = dict(re.findall(r"^#SBATCH (\S+?)(?:[ =](.*))?$", script, flags=re.M))
    assert sbatch["--account"] == "my-project"
    assert sbatch["-t"] == kw["walltime"] == "02:00:00"
    cpus = int(sbatch["--cpus-per-task"])
    assert cpus == kw["job_cpu"] == 8
    assert sbatch["--mem"] == "30G"  # 32 GB
    # The worker command: the environment's Python, one thread per worker, 4 workers a job.
    (worker,) = [line for line in script.splitlines() if "distributed.cli.dask_worker" in line]
    assert worker.startswith(kw["python"] + " -m distributed.cli.dask_worker ")
    args = worker.split()
    nthreads = int(args[args.index("--nthreads") + 1])
    nworkers = int(args[args.index("--nworkers") + 1])
    assert nthreads == 1, "the doc: run workers with one thread each"
    assert nworkers == kw["processes"] == 4
    assert args[args.index("--memory-limit") + 1] == "7.45GiB"  # 32 GB / 4
    # The engine's threads: each worker's share of the job's CPUs.
    exports = dict(re.findall(r"(\w+)=(\d+)", next(
        line for line in script.splitlines() if line.startswith("export "))))
    assert exports["RAYON_NUM_THREADS"] == exports["POLARS_MAX_THREADS"]
    assert int(exports["RAYON_NUM_THREADS"]) * nworkers == cpus
    # The scale line's comment counts the workers right.
    scale = call(tree, "scale")
    jobs = literal_args(scale)[1]["jobs"]
    line = code.splitlines()[scale.lineno - 1]
    assert re.search(rf"#\s*{jobs * nworkers} workers", line), line
    # Every path the comparison is given is on the shared file system.
    args, kw = literal_args(call(tree, "compare"))
    assert all(p.startswith("/shared/") for p in [*args, kw["study"]]), (args, kw)


# --- Kubernetes --------------------------------------------------------------------------------


def k8s():
    yaml = pytest.importorskip("yaml")
    (manifest,) = blocks("On Kubernetes", "yaml")
    (script,) = [b for b in blocks("On Kubernetes", "python") if "som.dask.compare" in b]
    return yaml.safe_load(manifest), script


def containers(pod: dict) -> dict:
    return {c["name"]: c for c in pod["spec"]["containers"]}


def mounts(pod: dict, container: dict) -> dict:
    """mountPath → (read-only, the volume's claim and whether the claim is mounted read-only)."""
    vols = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    out = {}
    for m in container.get("volumeMounts", []):
        claim = vols[m["name"]]["persistentVolumeClaim"]
        out[m["mountPath"]] = (m.get("readOnly", False), claim["claimName"],
                               claim.get("readOnly", False))
    return out


def quantity(q: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
    n, u = re.fullmatch(r"(\d+)([A-Za-z]*)", q).groups()
    return int(n) * units.get(u, 1)


def test_kubernetes_manifest_gives_each_worker_what_the_doc_says_it_needs():
    m, script = k8s()
    assert m["apiVersion"] == "kubernetes.dask.org/v1" and m["kind"] == "DaskJob"
    name = m["metadata"]["name"]
    job = m["spec"]["job"]
    cluster = m["spec"]["cluster"]["spec"]
    worker_pod = cluster["worker"]
    (job_c,) = containers(job).values()
    (worker,) = containers(worker_pod).values()
    (scheduler,) = containers(cluster["scheduler"]).values()
    # One image everywhere: som and dask of the same versions in client, scheduler and workers.
    assert job_c["image"] == worker["image"] == scheduler["image"]
    assert "som" in job_c["image"]
    assert cluster["scheduler"]["service"]["selector"]["dask.org/cluster-name"] == name
    # Workers: one thread, the engine's threads = the CPUs, memory limit = the pod's.
    a = [str(x) for x in worker["args"]]
    assert a[:2] == ["dask", "worker"] or a[0] == "dask-worker"
    assert a[a.index("--nthreads") + 1] == "1"
    res = worker["resources"]
    assert res["requests"] == res["limits"]
    env = {e["name"]: e["value"] for e in worker["env"]}
    assert env["RAYON_NUM_THREADS"] == env["POLARS_MAX_THREADS"] == str(res["limits"]["cpu"])
    assert quantity(a[a.index("--memory-limit") + 1]) == quantity(res["limits"]["memory"])
    assert worker_pod["replicas"] >= 1
    # Storage: the case data read-only at the same path in the script's pod and the workers';
    # the results only in the script's pod, writable.
    jm, wm = mounts(job, job_c), mounts(worker_pod, worker)
    data = [p for p, (ro, _, _) in wm.items() if ro]
    assert data and all(jm[p] == wm[p] and wm[p][2] for p in data), (jm, wm)
    results = [p for p, (ro, _, _) in jm.items() if not ro]
    assert len(results) == 1 and results[0] not in wm
    # The script the job runs is on the data volume; its paths lie under the mounts.
    assert job_c["args"][0] == "python" and job_c["args"][1].startswith(data[0] + "/")
    tree = ast.parse(script)
    args, kw = literal_args(call(tree, "compare"))
    scenario, cases, out = args
    for p in (scenario, cases, kw["study"]):
        assert p.startswith(data[0] + "/"), p
    assert out.startswith(results[0] + "/"), out
    client = [k.value for k in call(tree, "compare").keywords if k.arg == "client"]
    assert client and isinstance(client[0], ast.Call) and client[0].func.id == "Client"
    assert not client[0].args, "the operator tells Client() where the scheduler is"
