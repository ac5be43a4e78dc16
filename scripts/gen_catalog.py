#!/usr/bin/env python3
"""Generate src/catalog/generated.rs from an installed pykickstart.

The catalogue records, for every pykickstart syntax version, which command
names are registered (and whether they are active, deprecated or removed),
the options and positional arguments each command's option parser accepts,
and the sections with their header options.  Everything is read from the
live pykickstart objects (handlers, command instances, KSOptionParser
actions, section objects); nothing is scraped from documentation.

Usage (see scripts/README.md):

    python3 -m venv /tmp/kspy
    /tmp/kspy/bin/pip install pykickstart==3.78
    /tmp/kspy/bin/python scripts/gen_catalog.py            # writes the file
    /tmp/kspy/bin/python scripts/gen_catalog.py --check    # exit 1 if stale

The output is deterministic: every table is sorted or kept in pykickstart's
own declaration order, and nothing depends on hashing or the clock.
"""

import argparse
import itertools
import os
import re
import sys
import types
import warnings

import pykickstart
from pykickstart import options as ksoptions
from pykickstart.base import DeprecatedCommand, RemovedCommand
from pykickstart.errors import KickstartDeprecationWarning, KickstartError
from pykickstart.parser import KickstartParser
from pykickstart.sections import (
    CertificateSection,
    NullSection,
    PackageSection,
    ScriptSection,
)
from pykickstart.version import makeVersion, versionMap

EXPECTED_PYKICKSTART = "3.78"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "src", "catalog", "generated.rs")

# --------------------------------------------------------------------------
# Recording options removed with KSOptionParser.remove_argument().
#
# remove_argument() drops the action from the parser, so the version it was
# removed in is otherwise lost.  Wrap it so every parser remembers what was
# taken out of it (the option string, the version and the action itself).
# --------------------------------------------------------------------------
_orig_remove_argument = ksoptions.KSOptionParser.remove_argument


def _recording_remove_argument(self, arg, **kwargs):
    version = kwargs.get("version")
    action = self._option_string_actions.get(arg)
    if action is not None:
        if not hasattr(self, "_kslint_removed"):
            self._kslint_removed = []
        self._kslint_removed.append((arg, version, action))
    return _orig_remove_argument(self, arg, **kwargs)


ksoptions.KSOptionParser.remove_argument = _recording_remove_argument

# --------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------


def version_list():
    """All syntax versions (DEVEL excluded: it is an alias of the newest
    Fedora), ordered by pykickstart's internal number."""
    items = [(num, name) for name, num in versionMap.items() if name != "DEVEL"]
    items.sort()
    nums = [num for num, _ in items]
    assert len(set(nums)) == len(nums), "duplicate internal version numbers"
    return items


def version_major(name):
    for prefix in ("RHEL", "FC", "F"):
        if name.startswith(prefix):
            return int(name[len(prefix):])
    raise ValueError(name)


VERSIONS = version_list()
NUM_TO_NAME = {num: name for num, name in VERSIONS}
DEVEL_NAME = NUM_TO_NAME[versionMap["DEVEL"]]


def vname(num):
    if num in (None, False, 0):
        return None
    if num not in NUM_TO_NAME:
        raise ValueError("unknown version number %r" % (num,))
    return NUM_TO_NAME[num]


# --------------------------------------------------------------------------
# Describing argparse actions
# --------------------------------------------------------------------------

ACTION_KINDS = {
    "_StoreAction": "Store",
    "_StoreTrueAction": "StoreTrue",
    "_StoreFalseAction": "StoreFalse",
    "_StoreConstAction": "StoreConst",
    "_AppendAction": "Append",
    "_AppendConstAction": "AppendConst",
    "ExtendAction": "Extend",
    "ExtendConstAction": "ExtendConst",
}
REPEATABLE = {"Append", "AppendConst", "Extend", "ExtendConst"}


def action_kind(action):
    name = type(action).__name__
    if name not in ACTION_KINDS:
        raise ValueError("unhandled argparse action %s" % name)
    return ACTION_KINDS[name]


def nargs_of(action):
    n = action.nargs
    if n is None or n == 1:
        return "One"
    if n == 0:
        return "Zero"
    if n == "?":
        return "Optional"
    if n == "*":
        return "ZeroOrMore"
    if n == "+":
        return "OneOrMore"
    if isinstance(n, int):
        return "Exactly(%d)" % n
    raise ValueError("unhandled nargs %r" % (n,))


def _callback_map(owner, func):
    """A type callback that looks the value up in a `<something>Map` dict of
    the command (autopart --type, raid --level, btrfs --data, snapshot
    --when).  Return (keys, case_insensitive) or None."""
    code = getattr(getattr(func, "__func__", func), "__code__", None)
    if code is None or owner is None:
        return None
    maps = [n for n in code.co_names if n.endswith("Map")]
    if len(maps) != 1:
        return None
    table = getattr(owner, maps[0], None)
    if not isinstance(table, dict):
        return None
    folds = [n for n in code.co_names if n in ("lower", "upper")]
    return [str(k) for k in table], bool(folds)


def value_kind(action, owner):
    if nargs_of(action) == "Zero":
        return "ValueKind::None"
    if action.choices is not None:
        return "ValueKind::Choice(%s)" % rust_str_slice([str(c) for c in action.choices])
    t = action.type
    if t is None:
        return "ValueKind::String"
    tname = getattr(t, "__name__", "")
    if t is int:
        return "ValueKind::Int"
    if t is ksoptions.ksboolean:
        return "ValueKind::Bool"
    if t is ksoptions.commaSplit:
        return "ValueKind::CommaList"
    if t is ksoptions.mountpoint:
        return "ValueKind::MountPoint"
    if tname == "firewall_port_cb":
        # comma separated port[:proto] list
        return "ValueKind::CommaList"
    mapped = _callback_map(owner, t)
    if mapped is not None:
        keys, fold = mapped
        if fold:
            return "ValueKind::ChoiceIgnoreCase(%s)" % rust_str_slice(keys)
        return "ValueKind::Choice(%s)" % rust_str_slice(keys)
    # other callbacks only normalise the string (device names, team ports)
    return "ValueKind::String"


def describe_option(action, names, owner, removed_in=None):
    kind = action_kind(action)
    deprecated = getattr(action, "deprecated", False)
    return {
        "names": list(names),
        "action": kind,
        "nargs": nargs_of(action),
        "value": value_kind(action, owner),
        "required": bool(action.required),
        "deprecated_in": vname(deprecated) if deprecated else None,
        "removed_in": removed_in,
        "repeatable": kind in REPEATABLE,
        "dest": action.dest or "",
    }


def describe_parser(parser, owner):
    """Return (options, positionals) for a KSOptionParser."""
    live = parser._option_string_actions
    options = []
    seen = set()
    # Actions in declaration order; only option strings that still resolve
    # to the action are live (conflict_handler="resolve" and
    # remove_argument() can strip some strings of an action).
    ordered = [a for a in parser._actions if a.option_strings]
    for a in live.values():
        if all(a is not b for b in ordered):
            ordered.append(a)
    for a in ordered:
        if id(a) in seen:
            continue
        seen.add(id(a))
        names = [s for s in a.option_strings if live.get(s) is a]
        # strings that only live in the lookup table (left behind when an
        # alias of a removed action was not removed itself)
        names += sorted(s for s, b in live.items() if b is a and s not in names)
        if names:
            options.append(describe_option(a, names, owner))

    removed = {}
    for arg, version, action in getattr(parser, "_kslint_removed", []):
        if arg in live:
            continue  # re-added later
        removed[arg] = (vname(version), action)
    grouped = {}
    for arg, (ver, action) in removed.items():
        grouped.setdefault((id(action), ver), (action, ver, []))[2].append(arg)
    for action, ver, args in grouped.values():
        args = [s for s in action.option_strings if s in args] + sorted(
            s for s in args if s not in action.option_strings
        )
        options.append(describe_option(action, args, owner, removed_in=ver))

    positionals = []
    for a in parser._actions:
        if a.option_strings:
            continue
        positionals.append(
            {
                "metavar": str(a.metavar or a.dest),
                "nargs": nargs_of(a),
                "value": value_kind(a, owner),
                "required": bool(a.required) and a.nargs not in ("?", "*"),
            }
        )
    return options, positionals


# --------------------------------------------------------------------------
# Mutually exclusive options
#
# Candidate pairs are option names that occur together in one string
# constant of the command's parse() (or the section's handleHeader()) along
# the class hierarchy -- that is where pykickstart keeps its custom checks.
# A candidate is kept only if pykickstart itself confirms it: the command
# line with either option alone parses, the one with both options fails.
# Value-dependent checks (`--fstype` only conflicting with `--type=btrfs`)
# and pairs whose lone options already fail are therefore left out.
# --------------------------------------------------------------------------

OPTION_RE = re.compile(r"--[A-Za-z0-9][A-Za-z0-9-]*")


def _string_consts(code):
    for c in code.co_consts:
        if isinstance(c, str):
            yield c
        elif isinstance(c, types.CodeType):
            yield from _string_consts(c)


def candidate_pairs(cls, method, options):
    primary = {}
    for o in options:
        if o["removed_in"] is None:
            for n in o["names"]:
                primary[n] = o["names"][0]
    pairs = set()
    for klass in cls.__mro__:
        func = klass.__dict__.get(method)
        if func is None or not hasattr(func, "__code__"):
            continue
        for text in _string_consts(func.__code__):
            found = []
            for n in OPTION_RE.findall(text):
                if n in primary and primary[n] not in found:
                    found.append(primary[n])
            for a, b in itertools.combinations(found, 2):
                pairs.add(tuple(sorted((a, b))))
    return sorted(pairs)


SAMPLE_VALUES = {
    "ValueKind::Int": "1",
    "ValueKind::Bool": "yes",
    "ValueKind::MountPoint": "/srv",
}


def sample_value(kind):
    if kind in SAMPLE_VALUES:
        return SAMPLE_VALUES[kind]
    m = re.match(r'ValueKind::Choice(?:IgnoreCase)?\(&\["([^"]*)"', kind)
    if m:
        return m.group(1)
    return "x"


def option_words(opt):
    words = [opt["names"][0]]
    if opt["nargs"] not in ("Zero", "Optional"):
        words.append(sample_value(opt["value"]))
    return words


def base_variants(options, positionals):
    """Minimal command lines: required options with sample values, plus one
    sample word for each positional -- once with and once without the
    positionals argparse does not insist on (`*`, `?`)."""
    required = []
    for o in options:
        if o["required"] and o["removed_in"] is None:
            required += option_words(o)
    variants = []
    for with_optional in (True, False):
        words = []
        for p in positionals:
            if p["required"] or (with_optional and p["nargs"] != "Optional"):
                words.append(sample_value(p["value"]))
        if words + required not in variants:
            variants.append(words + required)
    return variants


def confirmed_exclusive(pairs, options, positionals, run):
    if not pairs:
        return []
    by_name = {o["names"][0]: o for o in options if o["removed_in"] is None}
    cache = {}

    def ok(base, extra):
        key = (tuple(base), tuple(extra))
        if key not in cache:
            cache[key] = run(list(extra) + base)
        return cache[key]

    out = []
    for a, b in pairs:
        wa, wb = option_words(by_name[a]), option_words(by_name[b])
        for base in base_variants(options, positionals):
            if ok(base, wa) is True and ok(base, wb) is True and ok(base, wa + wb) is False:
                out.append([a, b])
                break
    return out


def _quiet_call(func):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            func()
            return True
        except KickstartError:
            return False
        except Exception:  # noqa: BLE001 - unknown outcome, do not record
            return None


def command_runner(handler, cls, name):
    def run(words):
        cmd = cls()
        cmd.handler = handler
        cmd.currentCmd = name
        cmd.lineno = 1
        return _quiet_call(lambda: cmd.parse(words))

    return run


def section_runner(ver, name):
    def run(words):
        handler = makeVersion(ver)
        sec = KickstartParser(handler)._sections[name]
        return _quiet_call(lambda: sec.handleHeader(1, [name] + words))

    return run


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def command_status(cls):
    if issubclass(cls, RemovedCommand):
        return "Removed"
    if issubclass(cls, DeprecatedCommand):
        return "Deprecated"
    return "Active"


def is_multi_use(cmd):
    if isinstance(cmd, (DeprecatedCommand, RemovedCommand)):
        return False
    try:
        return cmd.dataClass is not None and cmd.dataList() is not None
    except Exception:  # pragma: no cover - defensive
        return False


def describe_command(cmd, names, name):
    cls = type(cmd)
    status = command_status(cls)
    parser = cmd._getParser()
    prog = [p for p in str(parser.prog).split("|") if p]
    primary = next((p for p in prog if p in names), sorted(names)[0])
    aliases = [p for p in prog if p in names and p != primary]
    aliases += sorted(n for n in names if n != primary and n not in aliases)
    if status == "Removed":
        # any use is an error; the parser is never consulted
        options, positionals = [], []
    else:
        options, positionals = describe_parser(parser, cmd)
    exclusive = []
    if status == "Active":
        exclusive = confirmed_exclusive(
            candidate_pairs(cls, "parse", options),
            options,
            positionals,
            command_runner(cmd.handler, cls, name),
        )
    return {
        "class": cls.__name__,
        "name": primary,
        "aliases": aliases,
        "status": status,
        "multi_use": is_multi_use(cmd),
        "options": options,
        "positionals": positionals,
        "conflicts": list(getattr(cls, "conflictingCommands", []) or []),
        "exclusive": exclusive,
    }


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

SECTION_PROBES = {
    "Script": "{name}\necho probe\n%end\n",
    "Packages": "{name}\n%end\n",
    "Certificate": "{name} --filename=probe.pem --dir=/tmp\nprobe\n%end\n",
    "Null": "{name}\n%end\n",
}


def section_kind(sec):
    if isinstance(sec, NullSection):
        return "Null"
    if isinstance(sec, PackageSection):
        return "Packages"
    if isinstance(sec, CertificateSection):
        return "Certificate"
    if isinstance(sec, ScriptSection):
        return "Script"
    raise ValueError("unknown section type %s" % type(sec).__name__)


def section_status(ver, name, kind):
    """Probe a minimal section and see whether pykickstart warns that the
    section itself is deprecated."""
    handler = makeVersion(ver)
    ksparser = KickstartParser(handler, errorsAreFatal=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ksparser.readKickstartFromString(SECTION_PROBES[kind].format(name=name))
    for w in caught:
        if issubclass(w.category, KickstartDeprecationWarning) and name in str(w.message):
            return "Deprecated"
    return "Active"


def describe_section(ver, name, sec):
    kind = section_kind(sec)
    exclusive = []
    if kind == "Null":
        options = []
    else:
        options, positionals = describe_parser(sec._getParser(), sec)
        assert not positionals, "section %s has positionals" % name
        exclusive = confirmed_exclusive(
            candidate_pairs(type(sec), "handleHeader", options),
            options,
            [],
            section_runner(ver, name),
        )
    return {
        "name": name,
        "kind": kind,
        "status": section_status(ver, name, kind),
        "options": options,
        "exclusive": exclusive,
    }


# --------------------------------------------------------------------------
# Collection
# --------------------------------------------------------------------------


def freeze(obj):
    if isinstance(obj, dict):
        return tuple(sorted((k, freeze(v)) for k, v in obj.items()))
    if isinstance(obj, list):
        return tuple(freeze(v) for v in obj)
    return obj


def collect():
    handlers = {}
    class_names = {}
    for _, ver in VERSIONS:
        h = makeVersion(ver)
        handlers[ver] = h
        for name, cmd in h.commands.items():
            if cmd is None:
                continue
            class_names.setdefault(type(cmd).__name__, set()).add(name)

    spec_index = {}
    specs = []
    version_cmds = {}
    by_class = {}
    for _, ver in VERSIONS:
        h = handlers[ver]
        table = []
        for name in sorted(h.commands):
            cmd = h.commands[name]
            if cmd is None:
                continue
            cname = type(cmd).__name__
            if cname not in by_class:
                # the first (oldest) version and alphabetically first name
                # using the class describe it
                by_class[cname] = describe_command(cmd, class_names[cname], name)
            spec = by_class[cname]
            key = freeze(spec)
            if key not in spec_index:
                spec_index[key] = len(specs)
                specs.append(spec)
            table.append((name, spec_index[key]))
        version_cmds[ver] = table

    sec_index = {}
    sections = []
    version_secs = {}
    for _, ver in VERSIONS:
        ksparser = KickstartParser(makeVersion(ver))
        table = []
        for name in sorted(ksparser._sections):
            spec = describe_section(ver, name, ksparser._sections[name])
            key = freeze(spec)
            if key not in sec_index:
                sec_index[key] = len(sections)
                sections.append(spec)
            table.append((name, sec_index[key]))
        version_secs[ver] = table
    return specs, version_cmds, sections, version_secs


# --------------------------------------------------------------------------
# Rust output
# --------------------------------------------------------------------------


def rust_str(s):
    out = ['"']
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    out.append('"')
    return "".join(out)


def rust_str_slice(items):
    return "&[" + ", ".join(rust_str(s) for s in items) + "]"


def rust_pairs(pairs):
    return "&[" + ", ".join("(%s, %s)" % (rust_str(a), rust_str(b)) for a, b in pairs) + "]"


def rust_version(name):
    return "None" if name is None else "Some(SyntaxVersion::%s)" % name


def option_literal(o):
    return (
        "OptionSpec { names: %s, action: ActionKind::%s, nargs: Nargs::%s, value: %s, "
        "required: %s, deprecated_in: %s, removed_in: %s, repeatable: %s, dest: %s }"
        % (
            rust_str_slice(o["names"]),
            o["action"],
            o["nargs"],
            o["value"],
            "true" if o["required"] else "false",
            rust_version(o["deprecated_in"]),
            rust_version(o["removed_in"]),
            "true" if o["repeatable"] else "false",
            rust_str(o["dest"]),
        )
    )


class OptionPool:
    """Deduplicates option literals into named consts."""

    def __init__(self):
        self.index = {}
        self.items = []

    def ref(self, opt):
        lit = option_literal(opt)
        if lit not in self.index:
            self.index[lit] = "O%d" % len(self.items)
            self.items.append(lit)
        return self.index[lit]

    def refs(self, opts):
        return "&[" + ", ".join(self.ref(o) for o in opts) + "]"


def emit(specs, version_cmds, sections, version_secs):
    pool = OptionPool()
    command_lits = []
    for s in specs:
        pos = ", ".join(
            "PositionalSpec { metavar: %s, nargs: Nargs::%s, value: %s, required: %s }"
            % (rust_str(p["metavar"]), p["nargs"], p["value"], "true" if p["required"] else "false")
            for p in s["positionals"]
        )
        command_lits.append(
            "    CommandSpec {\n"
            "        class: %s,\n"
            "        name: %s,\n"
            "        aliases: %s,\n"
            "        status: CommandStatus::%s,\n"
            "        multi_use: %s,\n"
            "        options: %s,\n"
            "        positionals: &[%s],\n"
            "        conflicts: %s,\n"
            "        exclusive: %s,\n"
            "    },\n"
            % (
                rust_str(s["class"]),
                rust_str(s["name"]),
                rust_str_slice(s["aliases"]),
                s["status"],
                "true" if s["multi_use"] else "false",
                pool.refs(s["options"]),
                pos,
                rust_str_slice(s["conflicts"]),
                rust_pairs(s["exclusive"]),
            )
        )
    section_lits = []
    for s in sections:
        section_lits.append(
            "    SectionSpec { name: %s, kind: SectionKind::%s, status: CommandStatus::%s, options: %s, exclusive: %s },\n"
            % (rust_str(s["name"]), s["kind"], s["status"], pool.refs(s["options"]),
               rust_pairs(s["exclusive"]))
        )

    out = []
    w = out.append
    w("// @generated by scripts/gen_catalog.py from pykickstart %s (Python %d.%d).\n"
      % (pykickstart.__version__ if hasattr(pykickstart, "__version__") else EXPECTED_PYKICKSTART,
         sys.version_info[0], sys.version_info[1]))
    w("// Do not edit by hand: change the script and regenerate (see scripts/README.md).\n")
    w("//\n// Facts about the kickstart syntax introspected from pykickstart's version\n")
    w("// handlers, option parsers and section classes.\n\n")
    w("#![allow(clippy::all, clippy::pedantic, missing_docs)]\n\n")
    w("use super::{\n    ActionKind, CommandSpec, CommandStatus, Nargs, OptionSpec, PositionalSpec, SectionKind,\n"
      "    SectionSpec, SyntaxVersion, ValueKind, VersionInfo,\n};\n\n")
    w("/// pykickstart release the tables were generated from.\n")
    w("pub(super) const PYKICKSTART_VERSION: &str = %s;\n\n" % rust_str(EXPECTED_PYKICKSTART))

    # versions
    w("/// Every syntax version, ordered by pykickstart's internal number.\n")
    w("pub(super) static VERSIONS: [VersionInfo; %d] = [\n" % len(VERSIONS))
    for num, name in VERSIONS:
        w("    VersionInfo { name: %s, number: %d, rhel: %s, major: %d },\n"
          % (rust_str(name), num, "true" if name.startswith("RHEL") else "false", version_major(name)))
    w("];\n\n")
    w("impl SyntaxVersion {\n")
    for i, (num, name) in enumerate(VERSIONS):
        w("    /// pykickstart syntax version %s (internal number %d).\n" % (name, num))
        w("    pub const %s: SyntaxVersion = SyntaxVersion(%d);\n" % (name, i))
    w("    /// The newest Fedora syntax (pykickstart's DEVEL).\n")
    w("    pub const DEVEL: SyntaxVersion = SyntaxVersion::%s;\n" % DEVEL_NAME)
    w("}\n\n")

    # options
    for i, lit in enumerate(pool.items):
        w("const O%d: OptionSpec = %s;\n" % (i, lit))
    w("\n")

    w("/// Every distinct command spec (one per pykickstart class).\n")
    w("pub(super) static COMMANDS: [CommandSpec; %d] = [\n" % len(specs))
    for lit in command_lits:
        w(lit)
    w("];\n\n")

    # per-version command tables, deduplicated
    tables = {}
    table_names = []
    per_version = []
    for _, ver in VERSIONS:
        body = tuple(version_cmds[ver])
        if body not in tables:
            tables[body] = "CT%d" % len(tables)
            table_names.append((tables[body], body))
        per_version.append(tables[body])
    for tname, body in table_names:
        w("static %s: [(&str, u16); %d] = [\n" % (tname, len(body)))
        for name, idx in body:
            w("    (%s, %d),\n" % (rust_str(name), idx))
        w("];\n")
    w("\n/// Per version (index = `SyntaxVersion` index): registered command names,\n")
    w("/// sorted, with the index of their spec in `COMMANDS`.\n")
    w("pub(super) static VERSION_COMMANDS: [&[(&str, u16)]; %d] = [\n" % len(VERSIONS))
    for (_, ver), tname in zip(VERSIONS, per_version):
        w("    &%s, // %s\n" % (tname, ver))
    w("];\n\n")

    w("/// Every distinct section spec.\n")
    w("pub(super) static SECTIONS: [SectionSpec; %d] = [\n" % len(sections))
    for lit in section_lits:
        w(lit)
    w("];\n\n")
    tables = {}
    table_names = []
    per_version = []
    for _, ver in VERSIONS:
        body = tuple(version_secs[ver])
        if body not in tables:
            tables[body] = "ST%d" % len(tables)
            table_names.append((tables[body], body))
        per_version.append(tables[body])
    for tname, body in table_names:
        w("static %s: [(&str, u16); %d] = [\n" % (tname, len(body)))
        for name, idx in body:
            w("    (%s, %d),\n" % (rust_str(name), idx))
        w("];\n")
    w("\n/// Per version: section names (with the `%`), sorted, with the index of\n")
    w("/// their spec in `SECTIONS`.\n")
    w("pub(super) static VERSION_SECTIONS: [&[(&str, u16)]; %d] = [\n" % len(VERSIONS))
    for (_, ver), tname in zip(VERSIONS, per_version):
        w("    &%s, // %s\n" % (tname, ver))
    w("];\n")
    return "".join(out), pool


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the file on disk differs")
    ap.add_argument("--stats", action="store_true", help="print counts to stderr")
    args = ap.parse_args()

    version = getattr(pykickstart, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version
        version = dist_version("pykickstart")
    if version != EXPECTED_PYKICKSTART:
        sys.exit("expected pykickstart %s, found %s" % (EXPECTED_PYKICKSTART, version))

    warnings.simplefilter("ignore")
    specs, version_cmds, sections, version_secs = collect()
    text, pool = emit(specs, version_cmds, sections, version_secs)

    if args.stats:
        names = {n for t in version_cmds.values() for n, _ in t}
        opts = sum(len(s["options"]) for s in specs)
        print("versions: %d" % len(VERSIONS), file=sys.stderr)
        print("command names: %d" % len(names), file=sys.stderr)
        print("command specs: %d" % len(specs), file=sys.stderr)
        print("option entries (all specs): %d, distinct option literals: %d"
              % (opts, len(pool.items)), file=sys.stderr)
        print("section specs: %d" % len(sections), file=sys.stderr)
        print("bytes: %d" % len(text.encode()), file=sys.stderr)

    out = os.path.normpath(args.output)
    if args.check:
        try:
            with open(out, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            sys.exit("%s is out of date; run scripts/gen_catalog.py" % out)
        return
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
