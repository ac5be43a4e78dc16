#!/usr/bin/env bash
# Copies the tree-sitter queries of grammar/queries into queries/kickstart/,
# where Neovim (and nvim-treesitter) look for them on the runtimepath.
#
#   scripts/sync-queries.sh           rewrite queries/kickstart/
#   scripts/sync-queries.sh --check   exit 1 when queries/kickstart/ is stale
#
# One change is made on the way: `#match?` in Neovim takes a Vim regex, not
# the Rust regex the tree-sitter CLI and Helix use, so the --interpreter test
# of injections.scm becomes the equivalent `#lua-match?` Lua pattern.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source_dir=$(cd "$here/../../grammar/queries" && pwd)
target=$here/queries/kickstart

# The predicate as grammar/queries/injections.scm writes it (Rust regex), and
# its Lua-pattern twin for Neovim.
upstream_regex='"--i[a-z]*(=|\\s+)\\S*python"'
lua_pattern='"%-%-i%l*[=%s]%s*%S*python"'

generate() {
  local out=$1
  mkdir -p "$out"
  for name in highlights folds injections; do
    {
      printf '; Generated from grammar/queries/%s.scm by editors/neovim/scripts/sync-queries.sh.\n' "$name"
      printf '; Edit the original and run the script again.\n\n'
      if [ "$name" = injections ]; then
        if [ "$(grep -cF -- "$upstream_regex" "$source_dir/$name.scm")" -ne 2 ]; then
          echo "grammar/queries/injections.scm no longer uses $upstream_regex twice:" >&2
          echo "update upstream_regex and lua_pattern in $0" >&2
          exit 1
        fi
        # Literal (not regex) replacements.
        local text
        text=$(cat "$source_dir/$name.scm")
        text=${text//"#match? @_header $upstream_regex"/"#lua-match? @_header $lua_pattern"}
        text=${text//"#not-match? @_header $upstream_regex"/"#not-lua-match? @_header $lua_pattern"}
        printf '%s\n' "$text"
      else
        cat "$source_dir/$name.scm"
      fi
    } >"$out/$name.scm"
  done
}

if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  if ! diff -ru "$tmp" "$target"; then
    echo "editors/neovim/queries/kickstart is out of date: run editors/neovim/scripts/sync-queries.sh" >&2
    exit 1
  fi
  echo "editors/neovim/queries/kickstart matches grammar/queries"
else
  generate "$target"
fi
