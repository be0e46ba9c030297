#!/bin/sh
# Runs the Tanggap benchmarks: bench/run.sh [--quick] [--backend sqlite|postgres|both] [--fresh]
# (add --report or --report-only to time the quarterly report documents)
# Builds the release binaries, installs wrk from Debian when it is missing,
# then runs bench/bench.py (options: bench/bench.py --help) and
# bench/report.py on the results.
set -eu
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is missing; installing it with apt-get" >&2
    apt-get install -y wrk
fi
cargo build --release -p tanggap -p tanggap-bench-baseline
python3 bench/bench.py "$@"
python3 bench/report.py
