#!/usr/bin/env bash
# Headless Neovim end-to-end tests of editors/neovim against `kslint lsp`:
#   1. test_plugin.lua: the plugin loaded from the repository, in a copy of
#      tests/e2e/fixtures/workspace (diagnostics, edit, hover, completion,
#      definition, quick fix, commands);
#   2. test_queries.lua (when the tree-sitter CLI is installed): the queries in
#      editors/neovim/queries/kickstart load in Neovim's tree-sitter and
#      capture what they should.
#
#   tests/e2e/neovim/run.sh          env: KSLINT (default target/debug/kslint), NVIM (default nvim)
#
# Exit status: 0 when every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export KSLINT_REPO=$repo
export KSLINT=${KSLINT:-$repo/target/debug/kslint}
NVIM=${NVIM:-nvim}
[ -x "$KSLINT" ] || { echo "no kslint binary at $KSLINT: run cargo build first" >&2; exit 2; }
command -v "$NVIM" >/dev/null || { echo "$NVIM not found" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Keep the user's configuration, plugins and state out.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache
export KSLINT_WORKSPACE=$tmp/workspace
# Marks the processes of this run (servers inherit it from Neovim).
export KSLINT_E2E_RUN=$tmp
cp -r "$repo/tests/e2e/fixtures/workspace" "$KSLINT_WORKSPACE"

"$NVIM" --version | head -1
status=0
run() { # name, args...
  local name=$1; shift
  echo "# $name"
  local rc=0
  (cd "$KSLINT_WORKSPACE" && timeout 180 "$NVIM" --headless -n -i NONE "$@" </dev/null) >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  cat "$tmp/$name.out"
  # A run that printed no result line did not run the tests at all.
  if ! grep -q '^# [0-9]* passed, [0-9]* failed$' "$tmp/$name.out"; then
    echo "$name: no result (nvim exit status $rc)" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    status=1
    sed -n 1,60p "$tmp/$name.err" >&2
    log=$(find "$tmp" -name 'lsp.log' | head -1)
    [ -n "$log" ] && tail -30 "$log" >&2
  fi
}

# Servers of this run still alive after Neovim exited (kslint does not exit
# when a request arrives after `exit`, which Neovim 0.7 sends on quitting):
# report and end them.
reap() {
  local pid found=()
  for pid in $(pgrep -f 'kslint.* lsp' || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "KSLINT_E2E_RUN=$tmp"; then
      found+=("$pid")
    fi
  done
  if [ ${#found[@]} -gt 0 ]; then
    echo "# warning: ${#found[@]} kslint server(s) outlived Neovim: ${found[*]}; terminating them" >&2
    kill "${found[@]}" 2>/dev/null || true
  fi
}
trap 'reap; rm -rf "$tmp"' EXIT

run plugin -u "$here/init.lua" -c "luafile $here/test_plugin.lua"
sleep 1
reap

if command -v tree-sitter >/dev/null; then
  # Neovim 0.7's tree-sitter library reads parsers of ABI 13-14: build one.
  mkdir "$tmp/grammar"
  for item in grammar.js tree-sitter.json package.json src queries; do
    [ ! -e "$repo/grammar/$item" ] || cp -r "$repo/grammar/$item" "$tmp/grammar/"
  done
  (cd "$tmp/grammar" && tree-sitter generate --abi 14 >/dev/null && tree-sitter build -o "$tmp/kickstart.so" . >/dev/null)
  export KSLINT_PARSER=$tmp/kickstart.so
  run queries -u NONE -c "luafile $here/test_queries.lua"
else
  echo "# queries: skipped (no tree-sitter CLI)"
fi
exit "$status"
