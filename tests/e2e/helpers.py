"""What a client does besides sending requests: keeping its copy of the text,
converting positions in the negotiated encoding, applying edits, and waiting
for the diagnostics of a given document version."""

from __future__ import annotations

import asyncio
import contextlib
import re
import pathlib
from collections.abc import Sequence

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import FIXTURES, TIMEOUT

CLEAN = (FIXTURES / "workspace" / "ks.cfg").read_text()


def variant(old: str, new: str, text: str = CLEAN) -> str:
    """`text` with one mistake written into it (`old` must occur once)."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """0-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def encoding(client: LanguageClient) -> str:
    negotiated = client.initialize_result.capabilities.position_encoding
    return negotiated or types.PositionEncodingKind.Utf16


def column(line: str, chars: int, encoding: str) -> int:
    """Column of the character index `chars` of `line` in `encoding`."""
    prefix = line[:chars]
    if encoding == types.PositionEncodingKind.Utf8:
        return len(prefix.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


def position(text: str, needle: str, encoding: str, delta: int = 0) -> types.Position:
    """The position of `needle` (plus `delta` characters) in `text`."""
    number = line_of(text, needle)
    line = text.splitlines()[number]
    return types.Position(number, column(line, line.index(needle) + delta, encoding))


def position_at(text: str, index: int, encoding: str) -> types.Position:
    """The LSP position of the character index `index` of `text`."""
    before = text[:index]
    line_start = before.rfind("\n") + 1
    return types.Position(before.count("\n"), column(text[line_start:], index - line_start, encoding))


def offset(text: str, pos: types.Position, encoding: str) -> int:
    """Character index in `text` of an LSP position."""
    lines = text.splitlines(keepends=True)
    if pos.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: pos.line])
    line = lines[pos.line]
    counted = 0
    for index, ch in enumerate(line):
        if ch in "\r\n" or counted >= pos.character:
            return start + index
        counted += column(ch, 1, encoding)
    return start + len(line)


def apply_edits(text: str, edits: Sequence[types.TextEdit], encoding: str) -> str:
    """Applies non-overlapping edits, all relative to `text`, as LSP says."""
    spans = sorted(
        (
            (offset(text, edit.range.start, encoding), offset(text, edit.range.end, encoding), edit.new_text)
            for edit in edits
        ),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def workspace_edits(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    """The edits a workspace edit makes to `uri` (either of its two shapes)."""
    if edit.changes:
        return list(edit.changes.get(uri, []))
    edits: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
            edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return edits


class Document:
    """An open document as the client holds it."""

    def __init__(self, client: LanguageClient, path: pathlib.Path, text: str, language_id: str = "kickstart"):
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.text = text
        self.version = 1
        self.encoding = encoding(client)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id=language_id, version=self.version, text=text
                )
            )
        )

    def pos(self, needle: str, delta: int = 0) -> types.Position:
        return position(self.text, needle, self.encoding, delta)

    def ident(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    def edit(self, edits: Sequence[types.TextEdit]) -> int:
        """Sends `edits` as incremental changes, applied one after the other
        (last in the text first, so the ranges stay valid), as editors do."""
        self.version += 1
        changes = []
        for edit in sorted(
            edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
        ):
            changes.append(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
            self.text = apply_edits(self.text, [edit], self.encoding)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=changes,
            )
        )
        return self.version

    def replace(self, old: str, new: str) -> int:
        """Replaces the first `old` with `new` by one ranged change."""
        start = self.text.index(old)
        rng = types.Range(
            position_at(self.text, start, self.encoding),
            position_at(self.text, start + len(old), self.encoding),
        )
        return self.edit([types.TextEdit(range=rng, new_text=new)])

    def close(self):
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=self.ident()))

    async def all_diagnostics(self, version: int | None = None) -> list[types.Diagnostic]:
        """The diagnostics published for `version` (default: the current
        one); waits for them."""
        return list((await wait_publish(self.client, self.uri, version or self.version)).diagnostics)

    async def diagnostics(self, version: int | None = None) -> list[types.Diagnostic]:
        """Like `all_diagnostics`, but only the foundation rules (see `stable`)."""
        return stable(await self.all_diagnostics(version))


async def wait_publish(
    client: LanguageClient,
    uri: str,
    version: int | None = None,
    after: int = 0,
    timeout: float = TIMEOUT,
    where=None,
) -> types.PublishDiagnosticsParams:
    """The latest `publishDiagnostics` for `uri` among those received after
    the first `after` ones, with `version` when given, for which `where`
    (a predicate on the foundation-rule diagnostics, see `stable`) holds;
    waits for one. The server may publish a version more than once (each
    open, edit and configuration change re-checks every open document), so
    waiting for "the next publish" is racy: wait for the expected content."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        matching = [
            p
            for p in client.published[after:]
            if p.uri == uri
            and (version is None or p.version == version)
            and (where is None or where(stable(p.diagnostics)))
        ]
        if matching:
            return matching[-1]
        if client.error is not None:
            raise AssertionError(f"client error: {client.error}")
        if loop.time() > deadline:
            seen = [(p.uri, p.version, len(p.diagnostics)) for p in client.published]
            raise AssertionError(f"no publishDiagnostics for {uri} version {version} within {timeout}s; got {seen}")
        await asyncio.sleep(0.01)


async def quiet(client: LanguageClient, seconds: float = 0.3):
    """Waits until no notification arrived for `seconds`."""
    count = -1
    while count != len(client.published):
        count = len(client.published)
        await asyncio.sleep(seconds)


@contextlib.contextmanager
def untyped(client: LanguageClient):
    """Lets `client.protocol` send params as given (plain JSON), without
    the lsprotocol types that would refuse malformed ones."""
    protocol = client.protocol
    protocol.get_message_type = lambda method: None
    try:
        yield protocol
    finally:
        del protocol.get_message_type


async def raw_request(client: LanguageClient, method: str, params):
    with untyped(client) as protocol:
        future = protocol.send_request(method, params)
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


def raw_notify(client: LanguageClient, method: str, params):
    with untyped(client) as protocol:
        protocol.notify(method, params)


def stable(diagnostics: Sequence[types.Diagnostic]) -> list[types.Diagnostic]:
    """The diagnostics of the foundation rules (KS00xx: sections, quoting,
    suppressions, includes). Rules are being added in other ranges (KS1xxx
    commands, KS2xxx media, ...); the scenarios assert on these only, so a
    new rule does not break them. `test_clean_document_publishes_an_empty_list`
    checks that the fixture stays clean of every rule."""
    return [d for d in diagnostics if re.fullmatch(r"KS00\d\d", str(d.code))]


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]
