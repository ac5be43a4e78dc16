#!/usr/bin/env bash
# Builds, tests and packs the VS Code extension, as CI does:
# npm ci (package-lock.json), tsc, unit tests (node --test), TextMate grammar
# tests (vscode-tmgrammar-test), esbuild bundle, vsce package → kslint.vsix.
#
#   editors/vscode/scripts/ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."
node --version
npm ci --no-audit --no-fund --loglevel=error
npm run -s typecheck

unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
npm run -s test:unit | tee "$unit" | grep -E '^(not ok|# (tests|pass|fail))' || true
# node --test passes when it finds no test at all: require some.
passes=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$unit")
fails=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$unit")
if [ "${passes:-0}" -eq 0 ] || [ "${fails:-1}" -ne 0 ]; then
  echo "unit tests: ${passes:-0} passed, ${fails:-?} failed" >&2
  exit 1
fi

# Exits 255 on a failed assertion and when it finds no test file.
npm run -s test:grammar

rm -f kslint.vsix
npm run -s package
# The package holds the bundle and the grammars, and no node_modules.
listing=$(unzip -l kslint.vsix)
for file in extension/out/extension.js extension/package.json \
  extension/syntaxes/kickstart.tmLanguage.json extension/syntaxes/syslinux.tmLanguage.json \
  extension/syntaxes/grub.tmLanguage.json extension/language-configuration.json; do
  grep -q " $file\$" <<<"$listing" || { echo "kslint.vsix lacks $file" >&2; exit 1; }
done
if grep -q 'node_modules/' <<<"$listing"; then
  echo "kslint.vsix contains node_modules" >&2
  exit 1
fi
echo "kslint.vsix: $(stat -c %s kslint.vsix) bytes, $(grep -c ' extension/' <<<"$listing") files ($PWD/kslint.vsix)"
