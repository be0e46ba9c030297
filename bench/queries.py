#!/usr/bin/env python3
"""Times single SQL statements of the complaint list on a database that
bench/bench.py generated, to compare query forms without the HTTP server.

    bench/queries.py bench/work/sqlite-1000000.db
    bench/queries.py bench/work/sqlite-1000000.db --search drainase,jalan,zzqx
    bench/queries.py postgres://postgres@127.0.0.1:5432/tanggap_bench_1000000 --search drainase

Each statement runs seven times; the median and the slowest run are
printed in milliseconds. On SQLite, Python's own SQLite library runs them
on a read-only connection. The search statements read the server's FTS5
table, whose tokenizer option `remove_diacritics` needs SQLite 3.45 or
later: with an older library, point LD_LIBRARY_PATH at a libsqlite3.so.0
built from the amalgamation that the server bundles (libsqlite3-sys). On
PostgreSQL, psql runs them and its `\\timing` is the time.

With --search, each text is timed with the statements of the list before
and after the search change: the count capped at 10,001, and the page of
25 by deadline as the index path, the row-by-row walk and (SQLite) the
sort-index walk. Which of them the server runs depends on the count; see
`walk_text_page` in crates/tanggap-store/src/shared.rs.
"""

import argparse
import sqlite3
import statistics
import subprocess
import time

AGENCY = "PUPR"
ORDER = "ORDER BY c.due_at ASC NULLS LAST, c.id ASC"
# The walk's row limit and the glob of characters that the trigram
# tokenizer folds to ASCII or drops, as in crates/tanggap-store/src/shared.rs.
WALK_ROWS = 2000
FOLDED_GLOB = "*[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff\u212a-\u212b]*"

STATEMENTS = {
    # The agency-scope count before the change: a UNION collected every
    # complaint of the agency before LIMIT applied.
    "count_agency_union": f"""
        SELECT COUNT(*) FROM (SELECT 1 FROM complaints c WHERE c.id IN (
            SELECT r.id FROM complaints r WHERE r.registered_by_agency = '{AGENCY}'
            UNION SELECT ca.complaint_id FROM complaint_agencies ca WHERE ca.agency_code = '{AGENCY}')
        AND c.id IN (SELECT fa.complaint_id FROM complaint_agencies fa WHERE fa.agency_code = '{AGENCY}')
        LIMIT 10001)""",
    # The count now: driven by the agency index, stopping at the cap.
    "count_agency_driven": f"""
        SELECT COUNT(*) FROM (SELECT 1 FROM complaint_agencies ca
        WHERE ca.agency_code = '{AGENCY}' LIMIT 10001)""",
    # The page of the liaison admin's list, sorted by deadline.
    "page_agency": f"""
        SELECT c.* FROM complaints c WHERE (c.registered_by_agency = '{AGENCY}' OR EXISTS (
            SELECT 1 FROM complaint_agencies ca WHERE ca.complaint_id = c.id AND ca.agency_code = '{AGENCY}'))
        AND EXISTS (SELECT 1 FROM complaint_agencies fa WHERE fa.complaint_id = c.id AND fa.agency_code = '{AGENCY}')
        ORDER BY c.due_at ASC NULLS LAST, c.id ASC LIMIT 25""",
    # The whole-history grouped counts behind the dashboard (one of seven).
    "dashboard_by_status": "SELECT status, COUNT(*) FROM complaints GROUP BY status",
}


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return quote(f"%{escaped}%")


def sqlite_search(text):
    """Returns the search statements on SQLite for one text (three characters or more)."""
    match = quote('"' + text.replace('"', '""') + '"')
    pattern = like(text)
    return {
        "count, before (IN over the matches)": f"""
            SELECT COUNT(*) FROM (SELECT 1 FROM complaints c WHERE c.id IN (
                SELECT rowid FROM complaint_search WHERE complaint_search MATCH {match}) LIMIT 10001)""",
        "count, after (the index alone)": f"""
            SELECT COUNT(*) FROM (SELECT 1 FROM complaint_search s
                WHERE s.complaint_search MATCH {match} LIMIT 10001)""",
        "page, before and below 1,000 matches": f"""
            SELECT c.* FROM complaints c WHERE c.id IN (
                SELECT rowid FROM complaint_search WHERE complaint_search MATCH {match}) {ORDER} LIMIT 25""",
        "page, sort-index walk (1,000 to 10,000)": f"""
            SELECT c.* FROM complaints c WHERE +c.id IN (
                SELECT rowid FROM complaint_search WHERE complaint_search MATCH {match}) {ORDER} LIMIT 25""",
        # The server reads this statement's rows until the page has 25
        # matches; see sqlite_walk().
        "page, row walk (over 10,000), ids": f"""
            SELECT c.id, c.due_at, c.received_at,
                (c.title LIKE {pattern} ESCAPE '\\' OR c.body LIKE {pattern} ESCAPE '\\') AS text_match,
                (CASE WHEN length(c.title) <> octet_length(c.title) THEN c.title GLOB {quote(FOLDED_GLOB)} ELSE 0 END
                 OR CASE WHEN length(c.body) <> octet_length(c.body) THEN c.body GLOB {quote(FOLDED_GLOB)} ELSE 0 END)
                AS text_unsure
            FROM complaints c WHERE 1 = 1 {ORDER} LIMIT {WALK_ROWS}""",
    }


def postgres_search(text):
    """Returns the search statements on PostgreSQL for one text."""
    pattern = like(text)
    condition = f"(c.title ILIKE {pattern} ESCAPE '\\' OR c.body ILIKE {pattern} ESCAPE '\\')"
    return {
        "count (unchanged)": f"SELECT COUNT(*) FROM (SELECT 1 FROM complaints c WHERE {condition} LIMIT 10001) x",
        "page, before and up to 10,000 matches": f"SELECT c.* FROM complaints c WHERE {condition} {ORDER} LIMIT 25",
        "page, row walk (over 10,000), ids": f"""
            SELECT c.id, c.text_match FROM (SELECT c.id, c.due_at, c.received_at,
                {condition} AS text_match, FALSE AS text_unsure
                FROM complaints c WHERE 1 = 1 {ORDER} LIMIT {WALK_ROWS}) c
            WHERE c.text_match OR c.text_unsure {ORDER} LIMIT 25""",
    }


def sqlite_walk(cursor, needed=25):
    """Reads the walk's rows until `needed` of them match, as the server
    does, and returns the matching ids, or stops at the first row where
    LIKE and the trigram index could disagree."""
    ids = []
    for row_id, _, _, text_match, text_unsure in cursor:
        if text_match:
            ids.append((row_id,))
            if len(ids) == needed:
                break
        elif text_unsure:
            break
    return ids


def time_sqlite(db, name, sql):
    runs = []
    rows = None
    for _ in range(7):
        started = time.perf_counter()
        cursor = db.execute(sql)
        rows = sqlite_walk(cursor) if "row walk" in name else cursor.fetchall()
        cursor.close()
        runs.append((time.perf_counter() - started) * 1000)
    return runs, rows


def time_postgres(url, sql):
    sql = " ".join(sql.split())
    command = ["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", "\\timing on"]
    for _ in range(7):
        command += ["-c", sql]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    runs = [float(line.split()[1]) for line in output.splitlines() if line.startswith("Time: ")]
    rows = [line for line in output.splitlines() if line and not line.startswith(("Time: ", "Timing"))]
    return runs, rows[: len(rows) // 7]


def report(name, runs, rows):
    shown = rows[0][0] if len(rows) == 1 and isinstance(rows[0], tuple) else (
        rows[0] if len(rows) == 1 else f"{len(rows)} rows")
    print(f"  {name:42} median {statistics.median(runs):9.1f} ms   slowest {max(runs):9.1f} ms   {shown}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="SQLite file or postgres:// URL")
    parser.add_argument("--search", type=lambda v: v.split(","),
                        help="comma-separated search texts; times only the search statements")
    args = parser.parse_args()

    if args.database.startswith("postgres"):
        if not args.search:
            parser.error("on PostgreSQL only --search is supported")
        for text in args.search:
            print(text)
            for name, sql in postgres_search(text).items():
                runs, rows = time_postgres(args.database, sql)
                report(name, runs, rows)
        return

    db = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    print(f"SQLite {sqlite3.sqlite_version}, {db.execute('SELECT COUNT(*) FROM complaints').fetchone()[0]:,} complaints")
    if args.search:
        for text in args.search:
            print(text)
            for name, sql in sqlite_search(text).items():
                report(name, *time_sqlite(db, name, sql))
        return
    for name, sql in STATEMENTS.items():
        report(name, *time_sqlite(db, name, sql))


if __name__ == "__main__":
    main()
