#!/usr/bin/env bash
# Runs every fuzz target for a few seconds (FUZZ_SECONDS, default 6) from
# its seed corpus, as CI does. New inputs go to fuzz/target/corpus/<target>,
# so seeds/ stays as written; a crash stops the run with the input saved
# in fuzz/artifacts/<target>/ (reproduce it with `cargo fuzz run <target>
# <file>`, then turn it into a regression test).
#
# cargo-fuzz needs nightly flags (-Zsanitizer, -Cpasses=sancov-module);
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, so no nightly
# toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-6}
triple=x86_64-unknown-linux-gnu

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# cargo-fuzz forces -Ccodegen-units=1 in release builds (better inlining
# for long runs); our own RUSTFLAGS come after its flags, and the last
# -Ccodegen-units wins. For a run of seconds the build dominates, and one
# codegen unit leaves the second core idle while LLVM compiles kslint.
# FUZZ_CODEGEN_UNITS=1 restores cargo-fuzz's choice.
export RUSTFLAGS="${RUSTFLAGS:-} -Ccodegen-units=${FUZZ_CODEGEN_UNITS:-16}"

start=$(date +%s)
# One cargo invocation builds every target; the runs below start the
# binaries directly, so cargo does not check the build again per target.
cargo fuzz build --target "$triple"
built=$(date +%s)
echo "fuzz targets built in $((built - start)) s"

# What `cargo fuzz run` would add: ODR reports are false alarms for Rust.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0"
targets=$(cargo fuzz list)
for target in $targets; do
  corpus=target/corpus/$target
  artifacts=artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  echo "--- $target (${seconds} s)"
  log=target/fuzz-$target.log
  # -rss_limit_mb: a leak or a bomb shows as a failure, not as a slow CI.
  if ! "target/$triple/release/$target" "$corpus" "seeds/$target" \
    -artifact_prefix="$artifacts/" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/$artifacts/" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
echo "fuzz: $(echo "$targets" | wc -w) targets run in $(($(date +%s) - built)) s"
