#!/bin/sh
# Runs the Tanggap benchmarks: bench/run.sh [--quick] [--backend sqlite|postgres|both] [--fresh]
# (add --report or --report-only to time the quarterly report documents)
# Builds the release binaries, installs wrk from Debian and oha from
# crates.io when they are missing, then runs bench/bench.py (options:
# bench/bench.py --help) and bench/report.py on the results.
set -eu
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is missing; installing it with apt-get" >&2
    apt-get install -y wrk
fi
if ! command -v oha >/dev/null 2>&1; then
    # oha is not in Debian's archive. OHA_VERSION pins another release if
    # this one does not build with the installed Rust.
    echo "oha is missing; installing it with cargo install (takes some minutes)" >&2
    cargo install --locked oha --version "${OHA_VERSION:-1.16.0}"
fi
cargo build --release -p tanggap -p tanggap-bench-baseline
python3 bench/bench.py "$@"
python3 bench/report.py
