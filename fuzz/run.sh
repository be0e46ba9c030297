#!/usr/bin/env bash
# Builds the fuzz targets once, then runs each for FUZZ_SECONDS seconds
# (default 20) from the seeds in fuzz/corpus/<target>/. New inputs found
# during a run go to a temporary directory, so the committed corpus stays
# as it is. A crash stops the script with libFuzzer's report and the
# crashing input under target/fuzz-artifacts/<target>/.
#
# cargo-fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them. The targets are built without a sanitizer
# (-s none) because the workspace forbids unsafe code, and with debug
# assertions (-a), so integer overflows panic.
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

seconds="${FUZZ_SECONDS:-20}"
target_dir=target/fuzz
artifacts=target/fuzz-artifacts
export RUSTC_BOOTSTRAP=1

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# cargo-fuzz compiles with one codegen unit by default, which makes the
# build much slower; 16 units let the compiler split the work.
flags=(-s none -a --codegen-units 16 --target-dir "$target_dir")
cargo fuzz build "${flags[@]}"

for name in "${targets[@]}"; do
    printf '\n--> fuzz target %s for %s s\n' "$name" "$seconds"
    found=$(mktemp -d)
    mkdir -p "$artifacts/$name"
    cargo fuzz run "${flags[@]}" "$name" "$found" "fuzz/corpus/$name" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/$name/" -print_final_stats=1
    rm -rf "$found"
done
printf '\nAll %d fuzz targets ran %s s each without a crash\n' "${#targets[@]}" "$seconds"
