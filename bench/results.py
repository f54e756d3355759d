"""bench/results.md from the numbers in bench/results.json."""

RATIO_SIZES = 1.5  # p50 at the largest size / p50 at the smallest, every page
RATIO_CASE_FLOOR = 4.0  # case page p50 / floor p50
RATIO_PDF = 1.3  # our whole render / WeasyPrint alone on the same HTML


def met(ok):
    return "met" if ok else "**not met**"


def ms(value):
    return f"{value:.1f}"


def write(results, path):
    lines = ["# Benchmark (issue 10)", "", "Geschreven door `make bench` (bench/__main__.py).", ""]
    lines += machine(results["machine"])
    sizes = sorted(results.get("sizes", {}), key=int)
    if sizes:
        lines += seeding(results["sizes"], sizes)
        lines += page_table(results["sizes"], sizes)
    if "reports" in results:
        lines += reports(results["reports"])
    if "load" in results:
        lines += load(results["load"])
    lines += notes(path.parent / "notes.md")
    path.write_text("\n".join(lines) + "\n")


def machine(m):
    return [
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB",
        f"- OS: {m['os']}; Python {m['python']}; PostgreSQL {m['postgresql']} "
        "(bin/with-services: fsync off, as for the tests)",
        f"- Date: {m['date']}",
        "",
    ]


def seeding(data, sizes):
    lines = ["## Data (`manage.py seed_volume --clients N`)", ""]
    lines += [
        "| N | seed | target | migrate | VACUUM ANALYZE | largest tables (rows) |",
        "|---|---|---|---|---|---|",
    ]
    for n in sizes:
        d = data[n]
        tables = ", ".join(f"{name} {count:,}" for name, count in list(d["rows"].items())[:5])
        lines.append(
            f"| {int(n):,} | {d['seed_s']:.0f} s | < {d['seed_limit_s'] // 60} min: "
            f"{met(d['seed_s'] < d['seed_limit_s'])} | {d['migrate_s']:.0f} s | "
            f"{d['vacuum_s']:.0f} s | {tables} |"
        )
    return [*lines, ""]


def page_table(data, sizes):
    small, large = sizes[0], sizes[-1]
    by_size = {n: {p["key"]: p for p in data[n]["pages"]["pages"]} for n in sizes}
    lines = [
        "## Pages",
        "",
        f"Django test client in process, DEBUG off, {data[large]['pages']['requests']} "
        "requests per page per size after a warm-up (pages take turns); "
        + (
            f"the sizes take turns in {data[large]['pages']['rounds']} rounds, so that a "
            "change in the machine's speed falls on both alike; "
            if data[large]["pages"].get("rounds", 1) > 1
            else ""
        )
        + "queries counted in a separate request. Times in ms. Ratios use p50.",
        "",
    ]
    for n in sizes:
        chosen = data[n]["pages"]["subjects"]
        lines.append(
            f"- N = {int(n):,}: "
            + "; ".join(f"{k}: {v}" for k, v in chosen.items())
            + ". "
            + loads(data[n]["pages"])
        )
    lines += [
        "",
        f"| page | queries {int(small):,} / {int(large):,} | p50 {int(small):,} | "
        f"p95 {int(small):,} | p50 {int(large):,} | p95 {int(large):,} | × floor "
        f"({int(large):,}) | {int(large):,} / {int(small):,} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floor = {n: by_size[n]["floor"]["p50"] for n in sizes}
    verdicts = []
    for key, page in by_size[large].items():
        a, b = by_size[small][key], page
        growth = b["p50"] / a["p50"]
        lines.append(
            f"| {b['label']} | {a['queries']} / {b['queries']} | {ms(a['p50'])} | {ms(a['p95'])} "
            f"| {ms(b['p50'])} | {ms(b['p95'])} | {b['p50'] / floor[large]:.1f} | "
            f"{growth:.2f} |"
        )
        verdicts.append(
            f"- {b['label']}: {int(large):,} / {int(small):,} = {growth:.2f} "
            f"≤ {RATIO_SIZES}: {met(growth <= RATIO_SIZES)}"
        )
    for key in ("case", "case_full"):
        for n in sizes:
            if key not in by_size[n]:  # results from before the second case page
                continue
            case = by_size[n][key]["p50"] / floor[n]
            verdicts.append(
                f"- {by_size[n][key]['label']} ≤ {RATIO_CASE_FLOOR:.0f}× the floor at "
                f"N = {int(n):,}: {case:.1f}×: {met(case <= RATIO_CASE_FLOOR)}"
            )
    return [*lines, "", "### Targets", "", *verdicts, ""]


def reports(r):
    pdf, queue = r["pdf"], r["queue"]
    ratio = pdf["full_p50"] / pdf["weasyprint_p50"]
    complete = queue["finished"] == queue["reports"] and queue["lost"] == 0
    return [
        f"## Voortgangsrapportage (N = {r['clients']:,})",
        "",
        f"- One PDF ({pdf['case']}), median of {pdf['repeats']} after a warm-up: whole render "
        f"(gathering through consent.services, template, WeasyPrint, storing) "
        f"{ms(pdf['full_p50'])} ms; WeasyPrint alone on the same HTML "
        f"{ms(pdf['weasyprint_p50'])} ms; ratio {ratio:.2f} ≤ {RATIO_PDF}: "
        f"{met(ratio <= RATIO_PDF)}.",
        f"- {queue['reports']} reports queued to {queue['workers']} Celery workers (prefork, "
        f"concurrency 1 each, real Redis): {queue['finished']} klaar, {queue['failed']} mislukt, "
        f"{queue['lost']} lost, {queue['rendered_twice']} rendered more than once, in "
        f"{queue['total_s']:.1f} s ({queue['total_s'] / queue['reports']:.2f} s per report): "
        f"{met(complete and queue['rendered_twice'] == 0)}.",
        f"- {loads(r)}",
        "",
    ]


def load(r):
    lines = [
        f"## Load run (N = {r['clients']:,})",
        "",
        f"gunicorn, {r['workers']} sync workers on 127.0.0.1; {r['users']} concurrent users for "
        f"{r['seconds']} s, each with a session of their own (behandelaars, klantmanagers, "
        f"trajectbegeleiders, beheerders), mixed read pages, {r['think']} between pages.",
        "",
        f"- Requests: {r['requests']} ({r['requests'] / r['seconds']:.1f}/s); errors: "
        f"{r['errors']}: {met(r['errors'] == 0)}",
        f"- p50 {ms(r['p50'])} ms, p95 {ms(r['p95'])} ms, max {ms(r['max'])} ms",
        f"- {loads(r)}",
        "",
        "| page | requests | p50 | p95 |",
        "|---|---|---|---|",
    ]
    for page in r["pages"]:
        lines.append(
            f"| {page['label']} | {page['requests']} | {ms(page['p50'])} | {ms(page['p95'])} |"
        )
    return [*lines, ""]


def loads(part):
    """The 1-minute load average before the part started and around its measurements."""
    text = f"Load average (1 min) before: {part['load_before'][0]:.2f}"
    if "load" in part:
        text += f", during: {part['load'][0][0]:.2f} → {part['load'][1][0]:.2f}"
    return text + "."


def notes(path):
    """bench/notes.md: what the numbers mean and what was done about them, by hand."""
    return [path.read_text().rstrip(), ""] if path.exists() else []
