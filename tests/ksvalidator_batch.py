#!/usr/bin/env python3
"""Run pykickstart's ksvalidator on many (version, file) pairs in one Python
process, for tests/ksvalidator_diff.rs.

Starting Python and importing pykickstart takes most of ksvalidator's ~200 ms,
so this loads the installed `ksvalidator` script once and calls its own
`main(["-v", VERSION, FILE])` for every job, exactly as the command line
would. Jobs are read from stdin, one `VERSION<TAB>PATH` per line; for each
one line `EXIT<TAB>VERSION<TAB>PATH<TAB>MESSAGES` is written, where EXIT is
ksvalidator's exit status and MESSAGES its output with newlines as `\\n`.

`--probe` prints the pykickstart version and exits 0, or exits 3 when
pykickstart or its ksvalidator script is not installed.
"""

import contextlib
import importlib.metadata
import io
import os
import runpy
import shutil
import sys
import warnings


def find_script():
    try:
        files = importlib.metadata.files("pykickstart") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == "ksvalidator" and "bin" in str(entry):
            path = entry.locate()
            if os.path.isfile(path):
                return str(path)
    found = shutil.which("ksvalidator")
    # A shell wrapper (pyenv shim) cannot be loaded as Python.
    if found:
        with open(found, "rb") as handle:
            if b"python" in handle.readline():
                return found
    return None


def main():
    script = find_script()
    if script is None:
        print("pykickstart's ksvalidator is not installed", file=sys.stderr)
        return 3
    if "--probe" in sys.argv[1:]:
        print(importlib.metadata.version("pykickstart"))
        return 0
    namespace = runpy.run_path(script, run_name="ksvalidator_batch")
    validate = namespace["main"]
    out = sys.stdout
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        version, path = line.split("\t", 1)
        captured = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured), \
                contextlib.redirect_stderr(captured):
            try:
                status, messages = validate(["-v", version, path])
            except Exception as error:  # pylint: disable=broad-except
                status, messages = 1, ["ksvalidator crashed: %r" % error]
        text = captured.getvalue() + "\n".join(messages)
        text = "\n".join(l for l in text.splitlines()
                         if l.strip() and not l.startswith("Checking kickstart file"))
        # The shell sees the status modulo 256.
        out.write("%d\t%s\t%s\t%s\n" % (status % 256, version, path,
                                       text.replace("\\", "\\\\").replace("\n", "\\n")))
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
