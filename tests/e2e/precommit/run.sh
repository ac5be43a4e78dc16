#!/usr/bin/env bash
# Runs the `kslint` hook of .pre-commit-hooks.yaml with pre-commit (PyPI)
# against a throw-away sample repository: the hook fails on a broken
# kickstart, passes once it is fixed, and leaves other files alone.
#
#   tests/e2e/precommit/run.sh
#
# env: E2E_VENV (default target/e2e-venv; pre-commit is installed into it)
#
# The hook repository is a snapshot of this checkout as it is (tracked and
# untracked files that git does not ignore, committed in a temporary repo),
# given to `pre-commit try-repo`. The hook is `language: rust`, so pre-commit builds
# kslint with `cargo install`; to keep that cheap the build goes to
# target/pre-commit with the release profile turned into a fast,
# unoptimised one, and pre-commit's cache lives in target/pre-commit-home.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
venv=${E2E_VENV:-$repo/target/e2e-venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -c 'import pre_commit' 2>/dev/null ||
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=3,<5'
pre_commit=$venv/bin/pre-commit
"$pre_commit" --version

"$pre_commit" validate-manifest "$repo/.pre-commit-hooks.yaml"

export PRE_COMMIT_HOME=$repo/target/pre-commit-home
export CARGO_TARGET_DIR=$repo/target/pre-commit
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
export CARGO_PROFILE_RELEASE_INCREMENTAL=true
export CARGO_TERM_QUIET=true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A fixed path and a reproducible commit: pre-commit reuses the kslint it
# built when neither the path nor the snapshot changed.
hooks=$repo/target/pre-commit-hooks
rm -rf "$hooks"
mkdir -p "$hooks"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$hooks")
git -C "$hooks" init -q
git -C "$hooks" add -A
GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
  git -C "$hooks" -c user.name=e2e -c user.email=e2e@localhost -c commit.gpgsign=false commit -q -m snapshot

sample=$tmp/sample
mkdir -p "$sample/ks" "$sample/docs"
cp "$repo/tests/e2e/fixtures/workspace/ks.cfg" "$sample/ks/ks.cfg"
cp -r "$repo/tests/e2e/fixtures/workspace/parts" "$sample/ks/parts"
# Broken: a section that does not exist. And a file the hook must not read.
sed -i 's/^%packages$/%pakages/' "$sample/ks/ks.cfg"
printf '%%pakages is not a kickstart here\n' >"$sample/docs/notes.txt"
git -C "$sample" init -q
git -C "$sample" add -A

try() { (cd "$sample" && "$pre_commit" try-repo "$hooks" kslint --all-files --color never) >"$tmp/out" 2>&1; }

status=0
if try; then
  echo "FAIL: the hook passed on a kickstart with %pakages" >&2
  status=1
elif ! grep -q 'KS0002' "$tmp/out"; then
  echo "FAIL: the hook failed without reporting KS0002" >&2
  status=1
else
  echo "ok - the hook fails on ks/ks.cfg with KS0002"
fi
grep -q 'notes.txt' "$tmp/out" && { echo "FAIL: the hook read docs/notes.txt" >&2; status=1; }

sed -i 's/^%pakages$/%packages/' "$sample/ks/ks.cfg"
git -C "$sample" add -A
if try; then
  echo "ok - the hook passes once ks/ks.cfg is fixed"
else
  echo "FAIL: the hook failed on a clean kickstart" >&2
  status=1
fi
[ "$status" -eq 0 ] || cat "$tmp/out" >&2
exit "$status"
