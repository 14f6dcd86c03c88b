#!/usr/bin/env bash
# Coverage-guided fuzzing of the Rust core with libFuzzer, on the stable toolchain (see
# "Fuzzing" in the README): the targets of fuzz/ (read, mac, roundtrip) are built with
# rustc's SanitizerCoverage instrumentation and linked with libFuzzer by the libfuzzer-sys
# crate.
#
#   scripts/fuzz.sh build                 build the three targets
#   scripts/fuzz.sh short [SECONDS]       every target SECONDS (default 5) from the seeds, in a
#                                         scratch corpus (scripts/test.sh runs this)
#   scripts/fuzz.sh long TARGET RUNS      RUNS executions of TARGET, one core, nice 19, into the
#                                         kept corpus fuzz/work/corpus/TARGET (log in fuzz/work/)
#   scripts/fuzz.sh replay TARGET FILE... run TARGET once on each file (a crash, say)
#
# Any panic (arithmetic overflow and debug assertions included), a run over 10 s, or more
# than 2 GiB of memory stops the fuzzer with a non-zero exit and leaves the input in
# fuzz/artifacts/. An `Err` of the core is a normal outcome.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(read mac roundtrip)
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN="fuzz/target/$TRIPLE/release"
# Stable rustc options only (no -Z flags, no RUSTC_BOOTSTRAP): the SanitizerCoverage pass
# with libFuzzer's counters, PC table, comparison tracing and stack depth, as cargo-fuzz
# sets them. `--target` keeps them off build scripts and proc macros.
FUZZ_RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing"
COMMON=(-max_len=16384 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)

build() {
  RUSTFLAGS="$FUZZ_RUSTFLAGS" cargo build --quiet --release --manifest-path fuzz/Cargo.toml \
    --target "$TRIPLE" --bins
}

# Each seed with a few option prefixes (fuzz/src/lib.rs): defaults; bare dataset; every
# binary value left in the source, read from a file; detected syntax with +uc and the
# target's other options.
prepare() {
  local dir=$1 seed name
  mkdir -p "$dir"
  for seed in fuzz/seeds/*.dcm; do
    name=$(basename "$seed" .dcm)
    { printf '\x00\x00'; cat "$seed"; } >"$dir/$name-00"
    { printf '\x02\x00'; cat "$seed"; } >"$dir/$name-dataset"
    { printf '\x40\x01'; cat "$seed"; } >"$dir/$name-stored-file"
    { printf '\x24\x0e'; cat "$seed"; } >"$dir/$name-detect-uc"
  done
}

case "${1:-short}" in
  build)
    build
    ;;
  short)
    seconds=${2:-5}
    build
    mkdir -p fuzz/artifacts
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    prepare "$scratch/seeds"
    for t in "${TARGETS[@]}"; do
      mkdir -p "$scratch/$t"
      log="$scratch/$t.log"
      start=$SECONDS
      if ! "$BIN/$t" "${COMMON[@]}" -seed=1 -max_total_time="$seconds" \
        -artifact_prefix="fuzz/artifacts/$t-" "$scratch/$t" "$scratch/seeds" >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz: target $t failed (input in fuzz/artifacts/)" >&2
        exit 1
      fi
      runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
      cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
      echo "fuzz: $t: $runs runs in $((SECONDS - start)) s, $cov edges, no crash"
    done
    ;;
  long)
    t=${2:?target}
    runs=${3:?runs}
    build
    mkdir -p fuzz/artifacts fuzz/work/corpus/"$t"
    [ -d fuzz/work/seeds ] || prepare fuzz/work/seeds
    # A copy of the binary: a rebuild during the run leaves it alone.
    mkdir -p fuzz/work/bin
    cp "$BIN/$t" "fuzz/work/bin/$t"
    echo "fuzz: $t, $runs runs, log in fuzz/work/$t.log"
    nice -n 19 "fuzz/work/bin/$t" "${COMMON[@]}" -runs="$runs" -artifact_prefix="fuzz/artifacts/$t-" \
      fuzz/work/corpus/"$t" fuzz/work/seeds >"fuzz/work/$t.log" 2>&1
    ;;
  replay)
    t=${2:?target}
    shift 2
    build
    "$BIN/$t" "$@"
    ;;
  *)
    echo "usage: scripts/fuzz.sh build | short [SECONDS] | long TARGET RUNS | replay TARGET FILE..." >&2
    exit 2
    ;;
esac
