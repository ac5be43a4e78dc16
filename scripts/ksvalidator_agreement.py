#!/usr/bin/env python3
"""Measure how often kslint and pykickstart's ksvalidator agree on whether a
kickstart is valid.

    scripts/ksvalidator_agreement.py [--kslint PATH] [--versions RHEL7,RHEL9] DIR_OR_FILE...

Every file is checked with `ksvalidator -v VERSION FILE` and
`kslint check --syntax VERSION --format json FILE` for each version. The
verdicts compared are "ksvalidator exits non-zero" and "kslint reports a
diagnostic pykickstart would also fail on": an error from the syntax and
command rules (KS0xxx, KS1xxx), or one of the warnings ksvalidator turns into
errors (deprecated command, option or section). Rules that look further than
pykickstart (scripts, packages against the media, boot menus) do not count,
nor missing `%include` files (ksvalidator follows includes only with -i).

Prints each disagreement with both sides' findings and the agreement rate.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

# kslint warnings that correspond to pykickstart warnings (ksvalidator errors).
PYKICKSTART_WARNINGS = {"KS1014", "KS1015", "KS1019"}
DEFAULT_VERSIONS = "RHEL7,RHEL8,RHEL9,RHEL10,F40"


def kslint_rejects(diagnostics):
    found = []
    for d in diagnostics:
        code = d["code"]
        if not (code.startswith("KS0") or code.startswith("KS1")):
            continue
        # ksvalidator reads %include files only with -i; kslint always does.
        if code in ("KS0013", "KS0014") and d["message"].startswith("%include"):
            continue
        if d["severity"] == "error" or code in PYKICKSTART_WARNINGS:
            found.append("%s:%s %s" % (d["start"]["line"], code, d["message"]))
    return found


def run(kslint, path, version):
    kv = subprocess.run(
        ["ksvalidator", "-v", version, path],
        capture_output=True, text=True, check=False,
    )
    kv_out = "\n".join(
        line for line in (kv.stdout + kv.stderr).splitlines()
        if line.strip() and not line.startswith("Checking kickstart file")
    )
    ks = subprocess.run(
        [kslint, "check", "--syntax", version, "--format", "json", path],
        capture_output=True, text=True, check=False,
    )
    try:
        diagnostics = json.loads(ks.stdout)["diagnostics"]
    except (ValueError, KeyError):
        diagnostics = [{"code": "KS0000", "severity": "error", "message": ks.stderr.strip(),
                        "start": {"line": 0}}]
    found = kslint_rejects(diagnostics)
    return path, version, kv.returncode != 0, kv_out, bool(found), found


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kslint", default="target/release/kslint")
    parser.add_argument("--versions", default=DEFAULT_VERSIONS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quiet", action="store_true", help="only print the summary")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    files = []
    for root in args.paths:
        if os.path.isdir(root):
            for name in sorted(os.listdir(root)):
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    files.append(path)
        else:
            files.append(root)
    versions = [v for v in args.versions.split(",") if v]
    jobs = [(f, v) for f in files for v in versions]
    agree = 0
    per_version = {v: [0, 0] for v in versions}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda job: run(args.kslint, *job), jobs))
    for path, version, kv_rejects, kv_out, ks_rejects, found in results:
        per_version[version][1] += 1
        if kv_rejects == ks_rejects:
            agree += 1
            per_version[version][0] += 1
            continue
        if args.quiet:
            continue
        print("=== %s -v %s: ksvalidator %s, kslint %s" % (
            path, version,
            "rejects" if kv_rejects else "accepts",
            "rejects" if ks_rejects else "accepts"))
        if kv_out:
            print("  ksvalidator: " + kv_out.replace("\n", "\n               "))
        for line in found:
            print("  kslint: " + line)
    total = len(results)
    kv_count = sum(1 for r in results if r[2])
    ks_count = sum(1 for r in results if r[4])
    print("ksvalidator rejects %d of %d jobs, kslint %d" % (kv_count, total, ks_count))
    for version, (ok, n) in per_version.items():
        print("%-7s %3d/%3d agree (%.1f %%)" % (version, ok, n, 100.0 * ok / max(n, 1)))
    print("overall %d/%d agree (%.1f %%) over %d files x %d versions" % (
        agree, total, 100.0 * agree / max(total, 1), len(files), len(versions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
