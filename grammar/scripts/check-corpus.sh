#!/usr/bin/env bash
# Parse every kickstart file below the given directories (or the given files)
# with the tree-sitter grammar in this directory and fail if any of them
# produces an ERROR or MISSING node.
#
# usage: scripts/check-corpus.sh [-v] DIR_OR_FILE...
#
#   In directories, files named *.ks, *.cfg (this includes ks.cfg) and *.ks.in
#   are checked.  Files given explicitly are always checked.
#   Templates are skipped: files containing a Jinja statement "{%" or a Jinja
#   expression "{{ ... }}" on one line.  (A plain "{{" is not enough: shell
#   brace expansion such as {{lib,share}/x,y} appears in real %post scripts.)
#   -v lists every checked file.
#
# Environment: TREE_SITTER (default: tree-sitter) selects the CLI binary.
# Exit status: 0 all good, 1 some file has errors, 2 usage or tool failure.
set -euo pipefail

verbose=0
if [[ ${1:-} == -v ]]; then
  verbose=1
  shift
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 [-v] DIR_OR_FILE..." >&2
  exit 2
fi

ts=${TREE_SITTER:-tree-sitter}
grammar_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
template_re='\{%|\{\{[^}]*\}\}'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

candidates=()
for arg in "$@"; do
  if [[ -d $arg ]]; then
    while IFS= read -r -d '' f; do
      candidates+=("$f")
    done < <(find "$arg" -type f \( -name '*.ks' -o -name '*.cfg' -o -name '*.ks.in' \) -print0 | sort -z)
  elif [[ -f $arg ]]; then
    candidates+=("$arg")
  else
    echo "error: $arg: no such file or directory" >&2
    exit 2
  fi
done

checked=()
skipped=0
for f in "${candidates[@]}"; do
  if grep -qE "$template_re" "$f"; then
    echo "skip (template): $f"
    skipped=$((skipped + 1))
  else
    checked+=("$f")
    [[ $verbose -eq 1 ]] && echo "check: $f"
  fi
done

if [[ ${#checked[@]} -eq 0 ]]; then
  echo "no kickstart files to check (skipped: $skipped)"
  exit 0
fi

printf '%s\n' "${checked[@]}" > "$work/paths"
printf '(ERROR) @error\n(MISSING) @missing\n' > "$work/errors.scm"

# One CLI run over all files: it prints each file name followed by the
# ERROR / MISSING nodes found in it.
set +e
"$ts" query -p "$grammar_dir" --paths "$work/paths" "$work/errors.scm" \
  > "$work/out" 2> "$work/err"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "error: '$ts query' failed (status $status):" >&2
  grep -v -e 'parser directories' -e 'init-config' -e 'configuration file' \
    -e 'language grammars' -e '^$' "$work/err" >&2 || true
  exit 2
fi

# Turn the query output into "file:line:col: ERROR|MISSING `text`" lines
# (1-based line and column numbers, like a compiler).
awk -v checked="$work/paths" '
  BEGIN { while ((getline line < checked) > 0) known[line] = 1 }
  ($0 in known) { file = $0; next }
  /capture:/ {
    kind = ($0 ~ /- missing,/) ? "MISSING" : "ERROR"
    match($0, /start: \([0-9]+, [0-9]+\)/)
    pos = substr($0, RSTART + 8, RLENGTH - 9)
    split(pos, p, ", ")
    text = ""
    if (match($0, /text: `.*`$/)) text = " " substr($0, RSTART + 6)
    printf "%s:%d:%d: %s%s\n", file, p[1] + 1, p[2] + 1, kind, text
  }
' "$work/out" > "$work/problems"

failed=$(cut -d: -f1 "$work/problems" | sort -u | grep -c . || true)
if [[ -s $work/problems ]]; then
  cat "$work/problems"
fi
echo "checked: ${#checked[@]}, skipped: $skipped, with errors: $failed"
[[ $failed -eq 0 ]]
