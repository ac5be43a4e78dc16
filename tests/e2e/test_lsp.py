"""`kslint lsp` driven over stdio by pytest-lsp, once per recorded client
(`conftest.CLIENTS`).

The assertions stay on rules and features that do not move as the rule set
grows: KS0001 unclosed-section, KS0002 unknown-section, KS0012
unused-suppression, the `network` command, `%include`.
"""

from __future__ import annotations

import asyncio
import pathlib

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from conftest import TIMEOUT
from helpers import (
    CLEAN,
    Document,
    apply_edits,
    codes,
    quiet,
    raw_notify,
    raw_request,
    stable,
    variant,
    wait_publish,
    workspace_edits,
)

TYPO = variant("%packages\n", "%pakages\n")
UNCLOSED = variant("vim-enhanced\n%end\n", "vim-enhanced\n")
UNUSED_SUPPRESSION = variant("keyboard us\n", "keyboard us  # kslint: disable=KS0003\n")


def ks(client: LanguageClient) -> pathlib.Path:
    return client.workspace / "ks.cfg"


async def within(coroutine):
    return await asyncio.wait_for(coroutine, TIMEOUT)


# ------------------------------------------------------------------ initialize


async def test_capabilities_and_position_encoding(client: LanguageClient):
    capabilities = client.initialize_result.capabilities
    assert capabilities.text_document_sync == types.TextDocumentSyncKind.Incremental
    offered = client.capabilities.general and client.capabilities.general.position_encodings
    expected = (
        types.PositionEncodingKind.Utf8
        if offered and types.PositionEncodingKind.Utf8 in offered
        else types.PositionEncodingKind.Utf16
    )
    assert capabilities.position_encoding == expected
    assert capabilities.hover_provider
    assert capabilities.definition_provider
    assert "kslint.buildIso" in capabilities.execute_command_provider.commands


# ----------------------------------------------------------------- diagnostics


async def test_diagnostics_arrive_with_version_code_and_link(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    diagnostics = await doc.diagnostics()
    # No empty publish came before the real one.
    first = next(p for p in client.published if p.uri == doc.uri)
    assert first.version == 1 and first.diagnostics
    assert codes(diagnostics) == ["KS0002"]
    typo = diagnostics[0]
    assert typo.severity == types.DiagnosticSeverity.Error
    assert typo.source == "kslint"
    assert "did you mean `%packages`?" in typo.message
    assert typo.range == types.Range(doc.pos("%pakages"), doc.pos("%pakages", len("%pakages")))
    assert typo.code_description.href.endswith("/KS0002.md")


async def test_related_information_points_at_the_next_section(client: LanguageClient):
    doc = Document(client, ks(client), UNCLOSED)
    (unclosed,) = await doc.diagnostics()
    assert unclosed.code == "KS0001"
    assert unclosed.range.start == doc.pos("%packages")
    (related,) = unclosed.related_information
    assert related.location.uri == doc.uri
    assert related.location.range.start == doc.pos("%post")
    assert "%post" in related.message


async def test_unused_suppression_is_a_tagged_hint(client: LanguageClient):
    doc = Document(client, ks(client), UNUSED_SUPPRESSION)
    (unused,) = await doc.diagnostics()
    assert unused.code == "KS0012"
    assert unused.severity == types.DiagnosticSeverity.Hint
    assert list(unused.tags) == [types.DiagnosticTag.Unnecessary]
    assert unused.range.start == doc.pos("KS0003")


async def test_clean_document_publishes_an_empty_list(client: LanguageClient):
    # The fixture must stay clean for every rule, not only the foundation
    # ones: when a new rule flags it, fix fixtures/workspace/ks.cfg here.
    doc = Document(client, ks(client), CLEAN)
    assert [(d.code, d.message) for d in await doc.all_diagnostics()] == []


async def test_columns_follow_the_negotiated_encoding(client: LanguageClient):
    # Two-byte, three-byte and astral characters before the diagnostic: the
    # UTF-8 and UTF-16 columns differ from each other and from the char count.
    text = variant(
        "keyboard us\n", 'user --name=joerg --gecos="Jörg Müller €𝄞"  # kslint: disable=KS0003\nkeyboard us\n'
    )
    doc = Document(client, ks(client), text)
    (unused,) = await doc.diagnostics()
    line = text.splitlines()[doc.pos("KS0003").line]
    chars = line.index("KS0003")
    expected = {
        types.PositionEncodingKind.Utf8: len(line[:chars].encode()),
        types.PositionEncodingKind.Utf16: len(line[:chars].encode("utf-16-le")) // 2,
    }[doc.encoding]
    assert expected != chars
    assert unused.range.start == types.Position(doc.pos("KS0003").line, expected)
    assert unused.range.end.character == expected + len("KS0003")


async def test_an_edit_updates_the_diagnostics(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    assert codes(await doc.diagnostics()) == ["KS0002"]
    # The minimal change Neovim sends when a word is retyped: one character.
    doc.replace("%pakages", "%packages")
    assert await doc.diagnostics(2) == []
    # A multi-line insertion, then a deletion that brings a problem back.
    doc.replace("vim-enhanced\n", "vim-enhanced\ntmux\nrsync\n")
    assert await doc.diagnostics(3) == []
    doc.replace("rsync\n%end\n", "rsync\n")
    assert codes(await doc.diagnostics(4)) == ["KS0001"]
    assert doc.text == variant("vim-enhanced\n%end\n", "vim-enhanced\ntmux\nrsync\n")


async def test_quick_successive_edits_end_on_the_last_version(client: LanguageClient):
    doc = Document(client, ks(client), CLEAN)
    await doc.diagnostics()
    for _ in range(5):
        doc.replace("%packages", "%pakages")
        doc.replace("%pakages", "%packages")
    doc.replace("%packages", "%pakages")
    final = doc.version
    diagnostics = await doc.diagnostics(final)
    assert codes(diagnostics) == ["KS0002"]
    await quiet(client)
    versions = [p.version for p in client.published if p.uri == doc.uri]
    # Stale results are dropped: versions never go backwards, the last is final.
    assert versions == sorted(versions) and versions[-1] == final, versions


async def test_kslint_toml_in_the_workspace_is_read(client: LanguageClient):
    # kslint.toml next to ks.cfg raises crlf-line-endings to an error.
    doc = Document(client, ks(client), CLEAN.replace("\n", "\r\n"))
    diagnostics = await doc.diagnostics()
    assert "KS0006" in codes(diagnostics)
    assert all(
        d.severity == types.DiagnosticSeverity.Error for d in diagnostics if d.code == "KS0006"
    )


async def test_closing_clears_the_diagnostics(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    await doc.diagnostics()
    count = len(client.published)
    doc.close()
    cleared = await wait_publish(client, doc.uri, after=count, where=lambda d: d == [])
    assert list(cleared.diagnostics) == []  # all of them


# ----------------------------------------------------------------------- hover


async def test_hover_on_a_command(client: LanguageClient):
    path = client.workspace / "parts" / "network.ks"
    doc = Document(client, path, path.read_text())
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc.ident(), position=doc.pos("network", 2))
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "network" in hover.contents.value
    assert hover.range == types.Range(doc.pos("network"), doc.pos("network", len("network")))


async def test_hover_on_an_option(client: LanguageClient):
    path = client.workspace / "parts" / "network.ks"
    doc = Document(client, path, path.read_text())
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc.ident(), position=doc.pos("--bootproto", 4))
        )
    )
    assert hover is not None and "bootproto" in hover.contents.value
    assert "dhcp" in hover.contents.value


async def test_hover_on_a_rule_code_in_a_suppression(client: LanguageClient):
    doc = Document(client, ks(client), UNUSED_SUPPRESSION)
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc.ident(), position=doc.pos("KS0003", 2))
        )
    )
    assert hover is not None and "unbalanced-quote" in hover.contents.value


async def test_hover_on_whitespace_is_null(client: LanguageClient):
    doc = Document(client, ks(client), CLEAN)
    blank = doc.text.splitlines().index("")
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc.ident(), position=types.Position(blank, 0))
        )
    )
    assert hover is None


# ------------------------------------------------------------------ completion


async def complete(doc: Document, pos: types.Position) -> list[types.CompletionItem]:
    result = await within(
        doc.client.text_document_completion_async(
            types.CompletionParams(text_document=doc.ident(), position=pos)
        )
    )
    assert result is not None
    return result.items if isinstance(result, types.CompletionList) else result


async def test_completion_of_an_option_is_a_snippet(client: LanguageClient):
    text = variant("reboot\n", "network --boot\nreboot\n")
    doc = Document(client, ks(client), text)
    items = await complete(doc, doc.pos("--boot", len("--boot")))
    by_label = {item.label: item for item in items}
    assert "--bootproto" in by_label, sorted(by_label)
    item = by_label["--bootproto"]
    assert item.insert_text_format == types.InsertTextFormat.Snippet
    assert item.text_edit.new_text.startswith("--bootproto=")
    assert item.text_edit.range == types.Range(doc.pos("--boot"), doc.pos("--boot", len("--boot")))
    # Accepting it (snippet markers dropped) gives a valid option.
    doc.edit([types.TextEdit(range=item.text_edit.range, new_text="--bootproto=dhcp")])
    assert await doc.diagnostics() == []


async def test_completion_of_choice_values(client: LanguageClient):
    text = variant("reboot\n", "network --bootproto=\nreboot\n")
    doc = Document(client, ks(client), text)
    items = await complete(doc, doc.pos("--bootproto=", len("--bootproto=")))
    labels = {item.label for item in items}
    assert {"dhcp", "static"} <= labels, labels


async def test_completion_of_commands_and_sections(client: LanguageClient):
    text = variant("reboot\n", "firew\nreboot\n")
    doc = Document(client, ks(client), text)
    items = await complete(doc, doc.pos("firew", 5))
    assert "firewall" in {item.label for item in items}

    text = variant("reboot\n", "reboot\n%pac\n")
    doc = Document(client, client.workspace / "second.ks", text)
    items = await complete(doc, doc.pos("%pac", 4))
    packages = next(item for item in items if item.label == "%packages")
    assert packages.insert_text_format == types.InsertTextFormat.Snippet
    assert packages.text_edit.new_text.endswith("%end")


async def test_completion_of_include_paths(client: LanguageClient):
    text = variant("%include parts/network.ks\n", "%include parts/\n")
    doc = Document(client, ks(client), text)
    items = await complete(doc, doc.pos("parts/", len("parts/")))
    assert any(item.label.endswith("network.ks") for item in items), [i.label for i in items]


# ------------------------------------------------------------ include targets


async def test_definition_of_an_include(client: LanguageClient):
    doc = Document(client, ks(client), CLEAN)
    result = await within(
        client.text_document_definition_async(
            types.DefinitionParams(text_document=doc.ident(), position=doc.pos("parts/network.ks", 3))
        )
    )
    locations = result if isinstance(result, list) else [result]
    assert len(locations) == 1
    target = locations[0]
    uri = getattr(target, "uri", None) or target.target_uri
    assert uri == (client.workspace / "parts" / "network.ks").as_uri()


async def test_document_link_of_an_include(client: LanguageClient, request):
    link_caps = client.capabilities.text_document.document_link
    tooltips = bool(link_caps and link_caps.tooltip_support)
    doc = Document(client, ks(client), CLEAN)
    links = await within(
        client.text_document_document_link_async(types.DocumentLinkParams(text_document=doc.ident()))
    )
    assert [link.target for link in links] == [(client.workspace / "parts" / "network.ks").as_uri()]
    assert links[0].range.start == doc.pos("parts/network.ks")
    assert (links[0].tooltip is not None) == tooltips


async def test_missing_include_is_reported_and_an_edit_on_disk_is_not_needed(client: LanguageClient):
    text = variant("%include parts/network.ks\n", "%include parts/netwrok.ks\n")
    doc = Document(client, ks(client), text)
    assert "KS0013" in codes(await doc.diagnostics())
    doc.replace("netwrok", "network")
    assert await doc.diagnostics() == []


# ---------------------------------------------------------------- code actions


async def code_actions(doc: Document, diagnostic: types.Diagnostic, only=None):
    result = await within(
        doc.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc.ident(),
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
            )
        )
    )
    return [action for action in result or [] if isinstance(action, types.CodeAction)]


async def test_quick_fix_gives_a_clean_document(client: LanguageClient):
    doc = Document(client, ks(client), UNCLOSED)
    (unclosed,) = await doc.diagnostics()
    actions = await code_actions(doc, unclosed, only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if a.is_preferred)
    assert fix.kind == types.CodeActionKind.QuickFix
    assert "%end" in fix.title
    assert [d.code for d in fix.diagnostics] == ["KS0001"]
    edits = workspace_edits(fix.edit, doc.uri)
    # `%end` goes right before the section that was still open.
    expected = variant("%post --log", "%end\n%post --log", UNCLOSED)
    assert apply_edits(doc.text, edits, doc.encoding) == expected
    doc.edit(edits)
    assert doc.text == expected
    assert await doc.diagnostics() == []


async def test_unsafe_fix_is_offered_but_not_preferred(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    (typo,) = await doc.diagnostics()
    actions = await code_actions(doc, typo, only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if "%packages" in a.title)
    assert not fix.is_preferred
    doc.edit(workspace_edits(fix.edit, doc.uri))
    assert doc.text == CLEAN
    assert await doc.diagnostics() == []


async def test_disable_for_this_line(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    (typo,) = await doc.diagnostics()
    actions = await code_actions(doc, typo)
    titles = [a.title for a in actions]
    line = next(a for a in actions if a.title.startswith("Disable KS0002") and "line" in a.title)
    assert any(t.startswith("Disable KS0002") and "file" in t for t in titles), titles
    doc.edit(workspace_edits(line.edit, doc.uri))
    assert "kslint: disable=KS0002" in doc.text
    assert await doc.diagnostics() == []


async def test_fix_all(client: LanguageClient):
    text = variant("keyboard us\n", "keyboard us  # kslint: disable=KS0003\n", UNCLOSED)
    doc = Document(client, ks(client), text)
    assert sorted(codes(await doc.diagnostics())) == ["KS0001", "KS0012"]
    whole = types.Range(types.Position(0, 0), types.Position(len(text.splitlines()), 0))
    result = await within(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc.ident(),
                range=whole,
                context=types.CodeActionContext(
                    diagnostics=[], only=["source.fixAll.kslint"]
                ),
            )
        )
    )
    (fix_all,) = result
    assert fix_all.kind == "source.fixAll.kslint"
    doc.edit(workspace_edits(fix_all.edit, doc.uri))
    assert await doc.diagnostics() == []


# --------------------------------------------------------------------- outline


async def test_symbols_and_folding(client: LanguageClient):
    doc = Document(client, ks(client), CLEAN)
    symbols = await within(
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc.ident()))
    )
    names = [s.name for s in symbols]
    assert any(n.startswith("%packages") for n in names), names
    assert any(n.startswith("%post") for n in names), names
    folds = await within(
        client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc.ident()))
    )
    packages = doc.pos("%packages").line
    assert any(f.start_line == packages and f.end_line >= packages + 2 for f in folds), folds
    tokens = await within(
        client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=doc.ident()))
    )
    assert tokens.data and len(tokens.data) % 5 == 0


# --------------------------------------------------------------- configuration


async def test_workspace_configuration_changes_severities(client: LanguageClient):
    if not client.capabilities.workspace.configuration:
        pytest.skip(f"{client.client_name} does not answer workspace/configuration")
    doc = Document(client, ks(client), UNUSED_SUPPRESSION)
    (unused,) = await doc.diagnostics()
    assert unused.severity == types.DiagnosticSeverity.Hint

    # What the user writes in the editor's settings, answered by the client
    # when the server asks for the section `kslint`.
    client.set_configuration({"rules": {"KS0012": "error"}}, section="kslint")
    count = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    error = [("KS0012", types.DiagnosticSeverity.Error)]
    published = await wait_publish(
        client, doc.uri, after=count, where=lambda d: [(x.code, x.severity) for x in d] == error
    )
    assert [(d.code, d.severity) for d in stable(published.diagnostics)] == error

    # Rules by name work too, and "off" silences them.
    client.set_configuration({"rules": {"unused-suppression": "off"}}, section="kslint")
    count = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    published = await wait_publish(client, doc.uri, after=count, where=lambda d: d == [])
    assert stable(published.diagnostics) == []


# ------------------------------------------------------------- bad requests


async def test_malformed_requests_get_errors_and_the_server_lives_on(client: LanguageClient):
    doc = Document(client, ks(client), TYPO)
    await doc.diagnostics()

    # Params of the wrong shape: an error response, not a crash.
    with pytest.raises(JsonRpcException) as invalid:
        await raw_request(
            client, "textDocument/hover", {"textDocument": {"uri": doc.uri}, "position": "line 3"}
        )
    assert invalid.value.code == -32602  # InvalidParams

    with pytest.raises(JsonRpcException) as missing:
        await raw_request(client, "textDocument/completion", {})
    assert missing.value.code == -32602

    with pytest.raises(JsonRpcException) as negative:
        await raw_request(
            client,
            "textDocument/definition",
            {"textDocument": {"uri": doc.uri}, "position": {"line": -1, "character": 0}},
        )
    assert negative.value.code == -32602

    with pytest.raises(JsonRpcException) as unknown:
        await raw_request(client, "kslint/noSuchMethod", {"x": 1})
    assert unknown.value.code == -32601  # MethodNotFound

    with pytest.raises(JsonRpcException):
        await within(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="kslint.noSuchCommand", arguments=[])
            )
        )

    # Notifications the server cannot use are dropped without an answer.
    raw_notify(client, "textDocument/didChange", {"textDocument": "nonsense"})
    raw_notify(client, "textDocument/didOpen", {"textDocument": {"uri": 42}})
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=(client.workspace / "never-opened.ks").as_uri(), version=7
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="lang C\n")],
        )
    )

    # Positions past the end of the document are clamped, not fatal.
    far = types.Position(10_000, 10_000)
    await within(client.text_document_hover_async(types.HoverParams(text_document=doc.ident(), position=far)))
    await within(
        client.text_document_completion_async(types.CompletionParams(text_document=doc.ident(), position=far))
    )
    # Requests for documents that are not open answer null.
    ghost = types.TextDocumentIdentifier(uri=(client.workspace / "ghost.ks").as_uri())
    assert (
        await within(client.text_document_hover_async(types.HoverParams(text_document=ghost, position=far)))
        is None
    )

    # Still serving: an edit is diagnosed and a hover answered.
    doc.replace("%pakages", "%packages")
    assert await doc.diagnostics() == []
    hover = await within(
        client.text_document_hover_async(types.HoverParams(text_document=doc.ident(), position=doc.pos("lang", 1)))
    )
    assert hover is not None and "lang" in hover.contents.value
    assert client.error is None
