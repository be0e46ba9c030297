#!/usr/bin/env python3
"""Times single SQL statements of the complaint list on a SQLite database
that bench/bench.py generated, to compare query forms without the HTTP
server: bench/queries.py bench/work/sqlite-1000000.db

Each statement runs seven times on a read-only connection; the median and
the slowest run are printed in milliseconds. Python's own SQLite library
runs them, which may be an older SQLite than the server's, so statements
that need the server's full-text table are left out.
"""

import sqlite3
import statistics
import sys
import time

AGENCY = "PUPR"

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


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    print(f"SQLite {sqlite3.sqlite_version}, {db.execute('SELECT COUNT(*) FROM complaints').fetchone()[0]:,} complaints")
    for name, sql in STATEMENTS.items():
        runs = []
        for _ in range(7):
            started = time.perf_counter()
            db.execute(sql).fetchall()
            runs.append((time.perf_counter() - started) * 1000)
        print(f"{name:24} median {statistics.median(runs):9.1f} ms   slowest {max(runs):9.1f} ms")


if __name__ == "__main__":
    main()
