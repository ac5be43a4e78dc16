#!/usr/bin/env bash
# Runs the `kslint` hook of .pre-commit-hooks.yaml with pre-commit (PyPI)
# against a throw-away sample repository: the hook fails on a broken
# kickstart, passes once it is fixed, and leaves other files alone.
#
#   tests/e2e/precommit/run.sh [system|rust|all]     (default: system)
#
# system  The hook exactly as the manifest declares it (id, entry, files,
#         types, require_serial), put into the sample's own
#         .pre-commit-config.yaml as a `repo: local` hook with
#         `language: system` and the entry pointing at an already built
#         binary ($KSLINT, default target/debug/kslint). Takes seconds;
#         CI runs it on every build.
# rust    The manifest as users get it: `pre-commit try-repo` on a snapshot of
#         this checkout, so pre-commit builds kslint itself with
#         `cargo install` (`language: rust`). Minutes on a cold cache.
# all     Both.
#
# env: E2E_VENV (default target/e2e-venv; pre-commit is installed into it)
#      KSLINT (system mode: the binary, default target/debug/kslint; built with
#      `cargo build` when missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
mode=${1:-system}
case "$mode" in system | rust | all) ;; *)
  echo "usage: $0 [system|rust|all]" >&2
  exit 2
  ;;
esac
venv=${E2E_VENV:-$repo/target/e2e-venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -c 'import pre_commit' 2>/dev/null ||
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=3,<5'
pre_commit=$venv/bin/pre-commit
"$pre_commit" --version

manifest=$repo/.pre-commit-hooks.yaml
"$pre_commit" validate-manifest "$manifest"
export PRE_COMMIT_HOME=$repo/target/pre-commit-home

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# A fresh sample repository: ks/ks.cfg with the unknown section `%pakages`,
# and a text file that mentions it but is no kickstart.
make_sample() {
  sample=$tmp/sample-$1
  rm -rf "$sample"
  mkdir -p "$sample/ks" "$sample/docs"
  cp "$repo/tests/e2e/fixtures/workspace/ks.cfg" "$sample/ks/ks.cfg"
  cp -r "$repo/tests/e2e/fixtures/workspace/parts" "$sample/ks/parts"
  sed -i 's/^%packages$/%pakages/' "$sample/ks/ks.cfg"
  printf '%%pakages is not a kickstart here\n' >"$sample/docs/notes.txt"
  git -C "$sample" init -q
}

# Runs the scenario with `$@` as the pre-commit command line (run inside the
# sample): fails on the broken file, reports KS0002, never names notes.txt,
# passes once the file is fixed.
scenario() {
  local label=$1
  shift
  local out=$tmp/out-$label
  git -C "$sample" add -A
  if (cd "$sample" && "$@") >"$out" 2>&1; then
    echo "FAIL [$label]: the hook passed on a kickstart with %pakages" >&2
    status=1
  elif ! grep -q 'KS0002' "$out"; then
    echo "FAIL [$label]: the hook failed without reporting KS0002" >&2
    status=1
  else
    echo "ok [$label] - the hook fails on ks/ks.cfg with KS0002"
  fi
  if grep -q 'notes.txt' "$out"; then
    echo "FAIL [$label]: the hook read docs/notes.txt" >&2
    status=1
  fi
  [ "$status" -eq 0 ] || cat "$out" >&2
  sed -i 's/^%pakages$/%packages/' "$sample/ks/ks.cfg"
  git -C "$sample" add -A
  if (cd "$sample" && "$@") >"$out" 2>&1; then
    echo "ok [$label] - the hook passes once ks/ks.cfg is fixed"
  else
    echo "FAIL [$label]: the hook failed on a clean kickstart" >&2
    cat "$out" >&2
    status=1
  fi
}

run_system() {
  local bin=${KSLINT:-$repo/target/debug/kslint}
  if [ ! -x "$bin" ] && [ -z "${KSLINT:-}" ]; then
    (cd "$repo" && cargo build --quiet --bin kslint)
  fi
  if [ ! -x "$bin" ]; then
    echo "FAIL: no kslint binary at $bin" >&2
    exit 1
  fi
  make_sample system
  # The manifest's hook, unchanged but for how kslint is found.
  "$venv/bin/python" - "$manifest" "$bin" >"$sample/.pre-commit-config.yaml" <<'PY'
import shlex
import sys

import yaml

manifest, binary = sys.argv[1], sys.argv[2]
hooks = yaml.safe_load(open(manifest))
assert {h["id"] for h in hooks} == {"kslint", "kslint-fix"}, hooks
for hook in hooks:
    program, _, args = hook["entry"].partition(" ")
    if program != "kslint":
        sys.exit(f"unexpected entry {hook['entry']!r}: it must start with `kslint`")
    hook["entry"] = f"{shlex.quote(binary)} {args}".strip()
    hook["language"] = "system"
print(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False))
PY
  scenario system "$pre_commit" run kslint --all-files --color never

  # kslint-fix: CRLF line endings (a safe fix) are rewritten, pre-commit
  # fails because the hook changed a file, and the next run passes.
  local out=$tmp/out-fix
  sed -i 's/$/\r/' "$sample/ks/ks.cfg"
  git -C "$sample" add -A
  if (cd "$sample" && "$pre_commit" run kslint-fix --all-files --color never) >"$out" 2>&1; then
    echo "FAIL [system]: kslint-fix passed although it had CRLF line endings to fix" >&2
    cat "$out" >&2
    status=1
  elif grep -q $'\r' "$sample/ks/ks.cfg" || ! grep -q 'files were modified by this hook' "$out"; then
    echo "FAIL [system]: kslint-fix did not rewrite ks/ks.cfg" >&2
    cat "$out" >&2
    status=1
  else
    echo "ok [system] - kslint-fix rewrites ks/ks.cfg and stops the commit"
  fi
  git -C "$sample" add -A
  if (cd "$sample" && "$pre_commit" run kslint-fix --all-files --color never) >"$out" 2>&1; then
    echo "ok [system] - kslint-fix passes once the fix is staged"
  else
    echo "FAIL [system]: kslint-fix failed on a fixed kickstart" >&2
    cat "$out" >&2
    status=1
  fi
}

run_rust() {
  # pre-commit builds kslint with `cargo install`; to keep that cheap the
  # build goes to target/pre-commit with the release profile turned into a
  # fast, unoptimised one, and pre-commit's cache lives in
  # target/pre-commit-home.
  export CARGO_TARGET_DIR=$repo/target/pre-commit
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
  export CARGO_PROFILE_RELEASE_INCREMENTAL=true
  export CARGO_TERM_QUIET=true
  # The hook repository is a snapshot of this checkout as it is (tracked and
  # untracked files that git does not ignore) at a fixed path with a
  # reproducible commit: pre-commit reuses the kslint it built when neither
  # the path nor the snapshot changed.
  local hooks=$repo/target/pre-commit-hooks
  rm -rf "$hooks"
  mkdir -p "$hooks"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    xargs -0 cp --parents -t "$hooks")
  git -C "$hooks" init -q
  git -C "$hooks" add -A
  GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
    git -C "$hooks" -c user.name=e2e -c user.email=e2e@localhost -c commit.gpgsign=false commit -q -m snapshot
  make_sample rust
  scenario rust "$pre_commit" try-repo "$hooks" kslint --all-files --color never
}

case "$mode" in
system) run_system ;;
rust) run_rust ;;
all)
  run_system
  run_rust
  ;;
esac
exit "$status"
