#!/usr/bin/env bash
# pytest-lsp end-to-end tests of `kslint lsp` (tests/e2e/test_*.py).
#
#   tests/e2e/run.sh [PYTEST ARGS...]
#
# env: KSLINT   server binary (default target/debug/kslint; build it first)
#      E2E_VENV venv to use/create (default target/e2e-venv)
#      PYTHON   interpreter for the venv (default python3)
#
# Fails when pytest collects nothing (its exit status 5), when nothing ran,
# and, without arguments, when fewer than $E2E_MIN_TESTS (60) tests were
# collected, so a green run always means the scenarios ran.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${E2E_VENV:-$repo/target/e2e-venv}
export KSLINT=${KSLINT:-$repo/target/debug/kslint}
[ -x "$KSLINT" ] || { echo "no kslint binary at $KSLINT: run cargo build first" >&2; exit 2; }

if ! "$venv/bin/python" -c 'import pytest_lsp, pygls' 2>/dev/null; then
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
"$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -E '^(pytest-lsp|pygls|lsprotocol|pytest) ' || true

export PYTHONDONTWRITEBYTECODE=1
report=$(mktemp)
trap 'rm -f "$report"' EXIT
rc=0
(cd "$here" && "$venv/bin/python" -m pytest -q -rxXs --junitxml="$report" "$@") || rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

# Every test that ran is in the JUnit report; none may be missing or skipped
# unexpectedly. Expected skips are the ones the tests explain (-rs above).
# Without arguments the whole suite must have run (at least $E2E_MIN_TESTS).
min=0
[ $# -gt 0 ] || min=${E2E_MIN_TESTS:-60}
"$venv/bin/python" - "$report" "$min" <<'PY'
import sys
import xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
tests, failures, errors = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors"))
skipped = int(suite.get("skipped", 0))
ran = tests - skipped
print(f"e2e: {tests} collected, {ran} ran, {skipped} skipped or xfailed, {failures} failures, {errors} errors")
if ran == 0 or failures or errors:
    sys.exit(1)
if tests < int(sys.argv[2]):
    sys.exit(f"e2e: only {tests} tests collected, expected at least {sys.argv[2]}")
PY
