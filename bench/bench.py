#!/usr/bin/env python3
"""Benchmark harness of Tanggap; run it through bench/run.sh.

For each backend and data size it prepares a database with
`tanggap demo generate` and starts `tanggap serve` on 127.0.0.1 at a free
port. It measures start-up time, resident memory, the list and search
endpoints and intake with wrk. Then it stops the server and measures the
raw-insert baseline on the same database. The bare-HTTP baseline runs once per invocation. With
--report it also times the quarterly report (figures, PDF, XLSX) on a
database whose last quarter holds about a quarter of --report-complaints
complaints. Every
server it starts listens on 127.0.0.1 only and is stopped before it exits;
every load run is bounded in time and in requests.

Only the Python standard library is used. Results go to
bench/results/<mode>-<UTC timestamp>.json.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
RESULTS = BENCH / "results"
# BENCH_TANGGAP selects another build of the binary, for example an
# earlier commit's, to compare the report run before and after a change.
TANGGAP = Path(os.environ.get("BENCH_TANGGAP", ROOT / "target" / "release" / "tanggap"))
BASELINE = ROOT / "target" / "release" / "tanggap-bench-baseline"
WRK_SCRIPT = BENCH / "wrk.lua"
PASSWORD = "Bench-Tanggap-2026"

# The read endpoints: name, path and the credential sent. "admin" and
# "liaison" are API tokens; the "_page" credentials are signed-in browser
# sessions, for the HTML pages.
READS = [
    # The list filtered by status and sorted by deadline, as the central admin.
    ("list_central", "/api/v1/complaints?status=dispatched&sort=due_at", "admin"),
    # The list filtered by agency, within a liaison admin's scope.
    ("list_liaison", "/api/v1/complaints?agency=PUPR", "liaison"),
    ("search", "/api/v1/complaints?q=drainase", "admin"),
    # The liaison admin's inbox: the home page with the agency's queues.
    ("page_inbox", "/beranda", "liaison_page"),
    # The central admin's list page, filtered and sorted by deadline.
    ("page_list", "/pengaduan?status=dispatched&sort=due_at", "admin_page"),
    ("page_search", "/pengaduan?q=drainase", "admin_page"),
    ("dashboard", "/dasbor", "admin_page"),
    # The quarterly figures of the last full quarter of the generated data.
    ("report_figures", "/laporan/data.json?tahun=2026&triwulan=3", "admin_page"),
]
READ_CONNECTIONS = [1, 8]
INTAKE_CONNECTIONS = [1, 8, 64]
# The operations also run at a fixed arrival rate, a fraction of the best
# closed-loop rate wrk measured for them, with this many oha workers.
FIXED_RATE_OPERATIONS = ["page_list", "intake"]
FIXED_RATE_FRACTION = 0.5
FIXED_RATE_WORKERS = 32
# The intake request of wrk.lua, for oha, which sends one line of a file per request.
INTAKE_SUBJECTS = [
    "Jalan berlubang di depan sekolah",
    "Sampah menumpuk di tepi sungai",
    "Lampu penerangan jalan padam",
    "Air PDAM tidak mengalir",
    "Parkir liar di bahu jalan",
    "Drainase tersumbat dan meluap",
]
INTAKE_CHANNELS = ["whatsapp", "sms", "email", "telephone", "walk_in", "web", "letter"]


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    try:
        wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        wrk_name = (wrk_version.stdout or wrk_version.stderr).splitlines()[0]
    except FileNotFoundError:
        # --report-only runs no load and does not need wrk.
        wrk_name = "missing"
    try:
        oha_version = subprocess.run(["oha", "--version"], capture_output=True, text=True)
        oha_name = oha_version.stdout.strip() or "unknown"
    except FileNotFoundError:
        oha_name = "missing"
    return {
        "nproc": os.cpu_count(),
        "memory_mb": memory_kb // 1024,
        "cpu": cpu,
        "kernel": platform.release(),
        "wrk": wrk_name,
        "oha": oha_name,
    }


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, timeout=600.0):
    """Polls /readyz until it returns 200, and returns the seconds that took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{base} did not become ready within {timeout} s")


def memory_kb(pid):
    """Returns VmRSS and VmHWM (peak resident set) of a process, in kB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(base, username):
    """Signs in through the login form and returns the Cookie header of the
    session (the session and CSRF cookies)."""
    with urllib.request.urlopen(base + "/masuk", timeout=10) as r:
        page = r.read().decode()
        csrf_cookie = r.headers.get("Set-Cookie", "").split(";", 1)[0]
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    csrf = page[start:page.index('"', start)]
    body = urllib.parse.urlencode({"csrf": csrf, "kembali": "/beranda", "username": username,
                                   "password": PASSWORD, "code": ""}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(base + "/masuk", data=body, headers={"Cookie": csrf_cookie})
    try:
        response = urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        headers = response.headers
    except urllib.error.HTTPError as e:
        if e.code not in (302, 303):
            raise
        headers = e.headers
    cookies = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    if not any(c.startswith("tanggap_session=") for c in cookies):
        raise RuntimeError(f"signing in as {username} set no session cookie")
    return "; ".join([csrf_cookie, *cookies])


def wrk(base, path, method, token, connections, seconds, max_requests, cookie=None):
    threads = min(2, connections)
    env = dict(os.environ)
    env.update(
        BENCH_TOKEN=token or "",
        BENCH_COOKIE=cookie or "",
        BENCH_METHOD=method,
        BENCH_PATH=path,
        BENCH_MAX_REQUESTS=str(max(1, max_requests // threads)),
    )
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(WRK_SCRIPT), base + path,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in output.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {output.stdout}\n{output.stderr}")
    raw = json.loads(line[len("RESULT "):])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": raw["requests"],
        "seconds": round(seconds_run, 3),
        "requests_per_second": round(raw["requests"] / seconds_run, 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": raw["errors_connect"] + raw["errors_read"] + raw["errors_write"] + raw["errors_timeout"],
        "non_2xx": raw["errors_status"],
    }


def intake_bodies(count, first):
    """Writes `count` intake request bodies, one JSON object a line, each with
    a different complaint text (numbered from `first`), and returns the file."""
    path = WORK / "intake-bodies.jsonl"
    with path.open("w") as f:
        for n in range(first, first + count):
            body = {
                "channel": INTAKE_CHANNELS[n % len(INTAKE_CHANNELS)],
                "complaint_type": "complaint",
                "body": f"{INTAKE_SUBJECTS[n % len(INTAKE_SUBJECTS)]}, laporan uji beban laju tetap "
                        f"nomor {n}. Mohon segera ditindaklanjuti.",
                "location": {"text": f"Jl. Pramuka RT {n % 40 + 1:03d}", "kelurahan_code": "63.71.03.1006"},
                "reporter": {"name": "Pelapor Uji", "phone": f"0813{n % 100_000_000:08d}"},
            }
            f.write(json.dumps(body) + "\n")
    return path


def oha(base, path, method, token, rate, seconds, cookie=None, bodies=None):
    """Sends requests at a fixed arrival rate (requests per second) for
    `seconds` with oha, and returns the achieved rate and the latency
    percentiles. With --latency-correction oha measures each request from
    the moment the schedule meant to send it, so a slow response that delays
    the next requests counts against them too (no coordinated omission)."""
    command = [
        "oha", "--no-tui", "--output-format", "json", "--latency-correction",
        "-z", f"{seconds}s", "-q", str(rate), "-c", str(FIXED_RATE_WORKERS), "-t", "10s",
        "-m", method, "-H", "Content-Type: application/json",
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if bodies:
        command += ["-Z", str(bodies)]
    command.append(base + path)
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if output.returncode != 0:
        raise RuntimeError(f"oha failed: {output.stderr}")
    raw = json.loads(output.stdout)
    summary = raw["summary"]
    percentiles = raw["latencyPercentiles"]
    statuses = {int(code): n for code, n in raw.get("statusCodeDistribution", {}).items()}
    requests = sum(statuses.values())
    return {
        "target_rate": rate,
        "workers": FIXED_RATE_WORKERS,
        "requests": requests,
        "seconds": round(summary["total"], 3),
        "achieved_rate": round(requests / summary["total"], 1) if summary["total"] else 0,
        "p50_ms": round((percentiles.get("p50") or 0) * 1000, 3),
        "p95_ms": round((percentiles.get("p95") or 0) * 1000, 3),
        "p99_ms": round((percentiles.get("p99") or 0) * 1000, 3),
        "max_ms": round((summary.get("slowest") or 0) * 1000, 3),
        "non_2xx": sum(n for code, n in statuses.items() if not 200 <= code < 300),
        # oha stops the requests still in flight when the run ends and
        # lists them as an error; they are counted apart.
        "errors": sum(n for kind, n in raw.get("errorDistribution", {}).items() if "deadline" not in kind),
        "error_kinds": raw.get("errorDistribution", {}),
    }


def tanggap(url, *args, env_extra=None, check=True):
    env = dict(os.environ, TANGGAP_DATABASE_URL=url, TANGGAP_LOG="warn", TANGGAP_PASSWORD=PASSWORD)
    env.pop("TANGGAP_CONFIG", None)
    if env_extra:
        env.update(env_extra)
    result = subprocess.run([str(TANGGAP), *args], env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"tanggap {' '.join(args)} failed: {result.stderr}")
    return result


def timed_tanggap(url, *args):
    """Runs `tanggap` like tanggap() and returns its wall-clock seconds and
    its own peak resident set in kB (ru_maxrss of that process alone)."""
    env = dict(os.environ, TANGGAP_DATABASE_URL=url, TANGGAP_LOG="warn", TANGGAP_PASSWORD=PASSWORD)
    env.pop("TANGGAP_CONFIG", None)
    started = time.monotonic()
    process = subprocess.Popen([str(TANGGAP), *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"tanggap {' '.join(args)} failed: {stderr.decode(errors='replace')}")
    return seconds, usage.ru_maxrss


def database_url(backend, size, pg_admin_url):
    if backend == "sqlite":
        return f"sqlite://{WORK / f'sqlite-{size}.db'}"
    base, _, _ = pg_admin_url.rpartition("/")
    return f"{base}/tanggap_bench_{size}"


def psql(admin_url, sql):
    subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True,
                   capture_output=True)


def vacuum_analyze(url):
    """Runs VACUUM ANALYZE after a bulk load, as an operator would, so that
    reads start from the state autovacuum keeps. Right after the load the
    planner has no statistics. The visibility map is unset too, so a count
    over an index reads each row from the table: 40 to 70 ms for 1,948 rows
    at 100,000 complaints in the benchmark."""
    psql(url, "VACUUM ANALYZE")


def prepare(backend, size, args):
    """Creates the database of one backend and size unless a previous run
    left it; returns its state (tokens, generation time)."""
    state_file = WORK / f"{backend}-{size}.json"
    url = database_url(backend, size, args.pg_url)
    if state_file.exists() and not args.fresh:
        state = json.loads(state_file.read_text())
        state["reused"] = True
        return url, state
    log(f"{backend} {size}: generating the database")
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / f'sqlite-{size}.db'}{suffix}").unlink(missing_ok=True)
    else:
        psql(args.pg_url, f"DROP DATABASE IF EXISTS tanggap_bench_{size} WITH (FORCE)")
        psql(args.pg_url, f"CREATE DATABASE tanggap_bench_{size}")
    tanggap(url, "seed")
    started = time.monotonic()
    generated = tanggap(url, "demo", "generate", "--complaints", str(size), "--seed", "1",
                        "--years", "3")
    generate_seconds = time.monotonic() - started
    if backend == "postgres":
        vacuum_analyze(url)
    tanggap(url, "user", "add", "bench.admin", "--role", "central_admin")
    tanggap(url, "user", "add", "bench.pupr", "--role", "liaison_admin", "--agency", "PUPR")
    state = {
        "admin": tanggap(url, "token", "add", "bench.admin", "--name", "bench").stdout.strip(),
        "liaison": tanggap(url, "token", "add", "bench.pupr", "--name", "bench").stdout.strip(),
        "generate_seconds": round(generate_seconds, 2),
        "generate_output": generated.stdout.strip().splitlines()[-2:],
    }
    state_file.write_text(json.dumps(state, indent=2))
    state["reused"] = False
    return url, state


def measure_server(backend, size, url, state, args):
    config = WORK / "bench.toml"
    config.write_text("# Written by bench/bench.py.\nsweep_interval_seconds = 3600\nsecure_cookies = false\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TANGGAP_DATABASE_URL=url, TANGGAP_LOG="warn", TANGGAP_CONFIG=str(config))
    log_file = open(WORK / f"server-{backend}-{size}.log", "w")
    server = subprocess.Popen([str(TANGGAP), "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=log_file)
    result = {"backend": backend, "size": size}
    # The raw-insert baseline is the ceiling of intake alone.
    intake = not args.only or "intake" in args.only
    try:
        result["startup_seconds"] = round(wait_ready(base), 3)
        # The first lifecycle sweep runs at start; let it finish before measuring.
        time.sleep(3)
        result["memory_idle_kb"] = memory_kb(server.pid)
        sessions = {
            "admin_page": sign_in(base, "bench.admin"),
            "liaison_page": sign_in(base, "bench.pupr"),
        }
        operations = []
        for name, path, role in READS:
            if args.only and name not in args.only:
                continue
            for connections in READ_CONNECTIONS:
                log(f"{backend} {size}: {name} with {connections} connections")
                run = wrk(base, path, "GET", state.get(role), connections, args.seconds,
                          args.max_requests, cookie=sessions.get(role))
                run["operation"] = name
                # VmHWM only grows, so the first run after which it grew is
                # the one that set the peak.
                run["server_peak_kb"] = memory_kb(server.pid)["VmHWM"]
                operations.append(run)
        for connections in INTAKE_CONNECTIONS if intake else []:
            log(f"{backend} {size}: intake with {connections} connections")
            run = wrk(base, "/api/v1/complaints", "POST", state["admin"], connections, args.seconds,
                      args.max_requests)
            run["operation"] = "intake"
            run["server_peak_kb"] = memory_kb(server.pid)["VmHWM"]
            operations.append(run)
        result["fixed_rate"] = measure_fixed_rate(base, backend, size, operations, state, sessions, args)
        result["memory_after_load_kb"] = memory_kb(server.pid)
        result["operations"] = operations
    finally:
        stop(server)
        log_file.close()

    raw = []
    for clients in INTAKE_CONNECTIONS if intake else []:
        log(f"{backend} {size}: raw insert with {clients} clients")
        output = subprocess.run(
            [str(BASELINE), "raw-insert", "--database-url", url, "--clients", str(clients),
             "--seconds", str(args.seconds), "--max-rows", str(args.max_requests)],
            capture_output=True, text=True, check=True)
        raw.append(json.loads(output.stdout.strip().splitlines()[-1]))
    result["raw_insert"] = raw
    result["generate_seconds"] = state["generate_seconds"]
    result["generate_output"] = state.get("generate_output")
    result["database_reused"] = state["reused"]
    return result


def measure_fixed_rate(base, backend, size, operations, state, sessions, args):
    """Runs each of FIXED_RATE_OPERATIONS at FIXED_RATE_FRACTION of the best
    closed-loop rate that wrk measured for it in this run."""
    if args.no_fixed_rate:
        return []
    runs = []
    for name in FIXED_RATE_OPERATIONS:
        closed = [op["requests_per_second"] for op in operations if op["operation"] == name]
        if not closed:
            continue
        rate = max(1, round(max(closed) * FIXED_RATE_FRACTION))
        log(f"{backend} {size}: {name} at a fixed rate of {rate}/s")
        if name == "intake":
            bodies = intake_bodies(rate * args.seconds + FIXED_RATE_WORKERS, first=size * 10)
            run = oha(base, "/api/v1/complaints", "POST", state["admin"], rate, args.seconds,
                      bodies=bodies)
        else:
            _, path, role = next(r for r in READS if r[0] == name)
            run = oha(base, path, "GET", state.get(role), rate, args.seconds, cookie=sessions.get(role))
        run["operation"] = name
        run["closed_loop_rate"] = max(closed)
        runs.append(run)
    return runs


def prepare_report(backend, args):
    """Creates the report database of one backend unless a previous run left
    it; returns its URL and what its marker file records of the generation."""
    size = args.report_complaints
    name = f"{args.report_name}_{size}"
    url = database_url(backend, name, args.pg_url)
    marker = WORK / f"{backend}-{name}.json"
    if args.fresh or not marker.exists():
        log(f"{backend} report: generating {size} complaints over 2025")
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{WORK / f'sqlite-{name}.db'}{suffix}").unlink(missing_ok=True)
        else:
            psql(args.pg_url, f"DROP DATABASE IF EXISTS tanggap_bench_{name} WITH (FORCE)")
            psql(args.pg_url, f"CREATE DATABASE tanggap_bench_{name}")
        tanggap(url, "seed")
        started = time.monotonic()
        tanggap(url, "demo", "generate", "--complaints", str(size), "--seed", "1", "--years", "1",
                "--until", "2026-01-01")
        if backend == "postgres":
            vacuum_analyze(url)
        marker.write_text(json.dumps({
            "complaints": size, "generate_seconds": round(time.monotonic() - started, 2)}) + "\n")
        return url, dict(json.loads(marker.read_text()), reused=False)
    return url, dict(json.loads(marker.read_text()), reused=True)


def measure_report(backend, args):
    """Times `tanggap report quarterly` for the figures (JSON), the PDF and
    the XLSX of 2025 Q4 on a database with --report-complaints complaints
    spread over 2025, so that the quarter contains about a third of them."""
    size = args.report_complaints
    url, generation = prepare_report(backend, args)
    out = WORK / f"report-{backend}"
    runs = []
    for fmt in args.report_formats:
        log(f"{backend} report: {fmt}")
        seconds, peak_kb = timed_tanggap(url, "report", "quarterly", "--year", "2025",
                                         "--quarter", "4", "--format", fmt, "--out", str(out))
        path = out / f"laporan-triwulan-2025-q4.{fmt}"
        runs.append({"format": fmt, "seconds": round(seconds, 2), "bytes": path.stat().st_size,
                     "peak_rss_kb": peak_kb})
    figures = json.loads((out / "laporan-triwulan-2025-q4.json").read_text())
    return {"backend": backend, "complaints": size, "received_in_quarter": figures["current"]["received"],
            "generation": generation, "runs": runs}


def measure_http_baseline(args):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BASELINE), "http", "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = []
    try:
        wait_ready(base, timeout=30)
        for connections in READ_CONNECTIONS:
            run = wrk(base, "/api/v1/complaints", "GET", None, connections, args.seconds, args.max_requests)
            run["operation"] = "get"
            runs.append(run)
        for connections in INTAKE_CONNECTIONS:
            run = wrk(base, "/api/v1/complaints", "POST", None, connections, args.seconds, args.max_requests)
            run["operation"] = "post"
            runs.append(run)
        runs.append({"operation": "memory_after_load_kb", **memory_kb(server.pid)})
    finally:
        stop(server)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k complaints, 5 s per load run")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sizes", help="comma-separated complaint counts; overrides the mode's sizes")
    parser.add_argument("--seconds", type=int, help="length of each load run in seconds")
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="upper bound of requests (and raw inserts) per load run")
    parser.add_argument("--fresh", action="store_true", help="regenerate databases left by earlier runs")
    parser.add_argument("--no-fixed-rate", action="store_true",
                        help="skip the fixed-rate runs with oha (page_list and intake at half the "
                             "closed-loop rate)")
    parser.add_argument("--only", type=lambda v: v.split(","),
                        help="comma-separated operations to measure, reads or intake (default: all); "
                             "without intake the raw-insert baseline is skipped too")
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server on which the harness creates its tanggap_bench_<size> databases")
    parser.add_argument("--report", action="store_true",
                        help="also time the quarterly report's figures, PDF and XLSX")
    parser.add_argument("--report-complaints", type=int, default=715_000,
                        help="complaints generated over 2025 for --report; the fourth quarter receives "
                             "about 35 %% of them, so 715,000 give about 250,000")
    parser.add_argument("--report-name", default="report",
                        help="database name stem for --report: the SQLite file "
                             "bench/work/sqlite-<stem>_<N>.db or the PostgreSQL database "
                             "tanggap_bench_<stem>_<N>")
    parser.add_argument("--report-formats", type=lambda v: v.split(","), default=["json", "pdf", "xlsx"],
                        help="comma-separated formats of the report run (default: json,pdf,xlsx)")
    parser.add_argument("--report-only", action="store_true",
                        help="run only the quarterly report measurement")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only generate the databases the other options name, then stop; run "
                             "one such process per backend at the same time to save time")
    args = parser.parse_args()
    if args.report_only:
        args.report = True
    mode = "quick" if args.quick else "full"
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    if args.seconds is None:
        args.seconds = 5 if args.quick else 15
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]

    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    report = {
        "mode": mode,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "seconds_per_run": args.seconds,
        "max_requests_per_run": args.max_requests,
        "command": " ".join(["bench/run.sh", *sys.argv[1:]]),
        "tanggap": str(TANGGAP),
    }
    if "postgres" in backends:
        version = subprocess.run(["psql", args.pg_url, "-At", "-c", "SHOW server_version"],
                                 capture_output=True, text=True, check=True)
        report["machine"]["postgresql"] = version.stdout.strip()
    if args.prepare_only:
        for backend in backends:
            if not args.report_only:
                for size in sizes:
                    prepare(backend, size, args)
            if args.report:
                prepare_report(backend, args)
        log("databases ready")
        return
    out = RESULTS / f"{mode}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    report["runs"] = []
    if not args.report_only:
        log("bare HTTP baseline")
        report["http_baseline"] = measure_http_baseline(args)
        for backend in backends:
            for size in sizes:
                url, state = prepare(backend, size, args)
                report["runs"].append(measure_server(backend, size, url, state, args))
                out.write_text(json.dumps(report, indent=2) + "\n")
    if args.report:
        report["report_runs"] = [measure_report(backend, args) for backend in backends]
        out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"results written to {out}")


if __name__ == "__main__":
    main()
