"""``python -m bench``: the whole benchmark, inside bin/with-services (``make bench``).

For each size a fresh database is created on the PostgreSQL of bin/with-services, migrated
and filled with ``manage.py seed_volume``; then each part runs in a process of its own on it.
The page timings alternate between the sizes in rounds; reports and the load run use the
largest size. The numbers go to bench/results.json (so a
part can be run again on its own: ``python -m bench --sizes 100000 --parts load``) and
bench/results.md is written from them.

``python -m bench pages|reports|load --out FILE`` runs one part on DATABASE_URL;
``python -m bench --write`` writes results.md again from results.json (and bench/notes.md).
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import percentile, setup_django

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
RAW = HERE / "results.json"
SIZES = (1_000, 100_000)
PARTS = ("pages", "reports", "load")
SEED_LIMIT = 15 * 60  # seconds, issue 10
QUIET_WAIT = 5 * 60  # seconds to wait for a busy machine to calm down before each part
PAGE_ROUNDS = 3  # the sizes take turns this many times ...
PAGE_REQUESTS = 20  # ... with this many requests per page each time
PAGE_REQUESTS_ENV = "WERKPAD_BENCH_REQUESTS"


def main():
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("part", nargs="?", choices=PARTS)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS)
    parser.add_argument("--write", action="store_true", help="only write results.md again")
    args = parser.parse_args()
    if args.write:
        from .results import write

        write(json.loads(RAW.read_text()), HERE / "results.md")
    elif args.part:
        args.out.write_text(json.dumps(run_part(args.part), indent=2, default=str))
    else:
        run_all(sorted(args.sizes), args.parts)


def run_part(part):
    setup_django()
    if part == "pages":
        from . import pages

        return pages.measure()
    if part == "reports":
        from . import reports

        return reports.measure()
    from . import load

    return load.measure()


def run_all(sizes, parts):
    results = json.loads(RAW.read_text()) if RAW.exists() else {}
    results["machine"] = machine()
    envs = {}
    for n in sizes:
        name = f"bench_{n}"
        env = envs[n] = {
            **os.environ,
            "DATABASE_URL": database_url(name),
            "WERKPAD_TEST": "1",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
        }
        size = results.setdefault("sizes", {}).setdefault(str(n), {})
        fresh_database(name)
        size["migrate_s"] = timed([sys.executable, "manage.py", "migrate", "-v0"], env)
        size["seed_s"] = timed(
            [sys.executable, "manage.py", "seed_volume", "--clients", str(n)], env
        )
        size["seed_limit_s"] = SEED_LIMIT
        size["vacuum_s"] = vacuum(env)
        size["rows"] = row_counts(env)
        RAW.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if "pages" in parts:
        # The sizes take turns, round by round: the machine's speed drifts (by up to 2x
        # within minutes here), and measured one after the other that drift would show up
        # as growth with the data.
        rounds = {n: [] for n in sizes}
        for _round in range(PAGE_ROUNDS):
            for n in sizes:
                rounds[n].append(part("pages", {**envs[n], PAGE_REQUESTS_ENV: str(PAGE_REQUESTS)}))
        for n in sizes:
            results["sizes"][str(n)]["pages"] = merge_rounds(rounds[n])
        RAW.write_text(json.dumps(results, indent=2, default=str) + "\n")
    for name in ("reports", "load"):
        if name in parts:
            results[name] = {"clients": sizes[-1], **part(name, envs[sizes[-1]])}
            RAW.write_text(json.dumps(results, indent=2, default=str) + "\n")
    from .results import write

    write(results, HERE / "results.md")
    print(f"Resultaten in {HERE / 'results.md'}")


def merge_rounds(runs):
    """One size's page timings from several rounds: percentiles over all the requests."""
    first = runs[0]
    pages = []
    for index, page in enumerate(first["pages"]):
        times = [t for run in runs for t in run["pages"][index]["times"]]
        pages.append(
            {
                **{k: v for k, v in page.items() if k != "times"},
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
            }
        )
    return {
        **first,
        "rounds": len(runs),
        "requests": sum(run["requests"] for run in runs),
        "load": [first["load"][0], runs[-1]["load"][1]],
        "pages": pages,
    }


def part(name, env):
    """Run one part in a process of its own; its log (one line per access-log entry written)
    goes to a file, shown only when the part fails."""
    log = Path(os.environ.get("WERKPAD_SERVICES_DIR", tempfile.gettempdir())) / f"bench-{name}.log"
    load_before = wait_for_quiet()
    with tempfile.NamedTemporaryFile(suffix=".json") as out, log.open("wb") as log_file:
        print(f"{now()} {name}...", flush=True)
        done = subprocess.run(  # noqa: S603  our own interpreter and fixed arguments
            [sys.executable, "-m", "bench", name, "--out", out.name],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        if done.returncode:
            sys.exit(f"{name} mislukt:\n" + log.read_text(errors="replace")[-5000:])
        measured = json.loads(Path(out.name).read_text())
    return {"measured_at": now(), "load_before": load_before, **measured}


def wait_for_quiet(limit=QUIET_WAIT):
    """On a shared machine, wait (at most ``limit`` seconds) until the 1-minute load average
    is below half the cores, so that a part does not measure someone else's work. Returns
    the load average it starts with (written to results.md)."""
    threshold = (os.cpu_count() or 1) / 2
    deadline = time.monotonic() + limit
    if os.getloadavg()[0] > threshold:
        print(f"{now()} wachten tot de machine rustig is (load {os.getloadavg()[0]:.1f})...")
    while os.getloadavg()[0] > threshold and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()


def vacuum(env):
    """VACUUM ANALYZE after the bulk load, as a database in service would have had: otherwise
    autovacuum works through the new tables while the parts measure."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return round(time.monotonic() - started, 1)


def timed(command, env):
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603  fixed commands
    return round(time.monotonic() - started, 1)


def now():
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def database_url(name):
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + name))


def fresh_database(name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def row_counts(env):
    """Rows in the biggest tables (planner estimates after seed_volume's ANALYZE)."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace ORDER BY reltuples DESC LIMIT 8"
        ).fetchall()
    return dict(rows)


def machine():
    import psycopg

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "?",
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    release = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{release.get('PRETTY_NAME', '?').strip(chr(34))}, kernel {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg,
        "date": now(),
    }


if __name__ == "__main__":
    main()
