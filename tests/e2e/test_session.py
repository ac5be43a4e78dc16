"""Starting and stopping the server, and what depends on the client that
starts it: `--stdio`, initializationOptions, older clients, dynamic
registration of file watchers, changes on disk and in other buffers."""

from __future__ import annotations

import asyncio
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from conftest import TIMEOUT, server_config, start_session, stop_session
from helpers import CLEAN, Document, codes, stable, variant, wait_publish

UNUSED_SUPPRESSION = variant("keyboard us\n", "keyboard us  # kslint: disable=KS0003\n")


@pytest_lsp.fixture(config=server_config())
async def bare(lsp_client: LanguageClient, workspace: pathlib.Path):
    """A started server that the test initialises itself."""
    lsp_client.workspace = workspace
    yield
    await stop_session(lsp_client)


@pytest_lsp.fixture(config=server_config("--stdio"))
async def stdio(lsp_client: LanguageClient, workspace: pathlib.Path):
    """`kslint lsp --stdio`: what VS Code's client runs (TransportKind.stdio
    appends `--stdio`)."""
    lsp_client.workspace = workspace
    yield
    await stop_session(lsp_client)


async def init(client: LanguageClient, spec: str, options=None):
    client.initialize_result = await start_session(
        client, client_capabilities(spec), client.workspace, options
    )


async def test_stdio_flag(stdio: LanguageClient):
    await init(stdio, "visual-studio-code")
    doc = Document(stdio, stdio.workspace / "ks.cfg", variant("%packages\n", "%pakages\n"))
    assert codes(await doc.diagnostics()) == ["KS0002"]


async def test_initialization_options_set_severities(bare: LanguageClient):
    # Neovim 0.7 (what Debian ships) does not answer workspace/configuration:
    # initializationOptions are how it configures the server.
    await init(bare, "neovim@v0.7.0", {"rules": {"KS0012": "warning"}})
    assert not bare.capabilities.workspace.configuration
    doc = Document(bare, bare.workspace / "ks.cfg", UNUSED_SUPPRESSION)
    (unused,) = await doc.diagnostics()
    assert unused.code == "KS0012" and unused.severity == types.DiagnosticSeverity.Warning


async def push_settings(client: LanguageClient, settings):
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))


async def test_settings_pushed_with_did_change_configuration_apply_to_the_next_edit(bare: LanguageClient):
    # Neovim 0.7 pushes `settings` in didChangeConfiguration (it cannot be asked).
    await init(bare, "neovim@v0.7.0")
    doc = Document(bare, bare.workspace / "ks.cfg", UNUSED_SUPPRESSION)
    (unused,) = await doc.diagnostics()
    assert unused.severity == types.DiagnosticSeverity.Hint
    await push_settings(bare, {"kslint": {"rules": {"KS0012": "warning"}}})
    doc.replace("keyboard us", "keyboard de")
    (unused,) = await doc.diagnostics()
    assert unused.severity == types.DiagnosticSeverity.Warning


async def test_settings_pushed_with_did_change_configuration_recheck_open_documents(bare: LanguageClient):
    await init(bare, "neovim@v0.7.0")
    doc = Document(bare, bare.workspace / "ks.cfg", UNUSED_SUPPRESSION)
    (unused,) = await doc.diagnostics()
    assert unused.severity == types.DiagnosticSeverity.Hint
    count = len(bare.published)
    await push_settings(bare, {"kslint": {"rules": {"KS0012": "warning"}}})
    warning = [types.DiagnosticSeverity.Warning]
    published = await wait_publish(
        bare, doc.uri, after=count, timeout=3, where=lambda d: [x.severity for x in d] == warning
    )
    assert [d.severity for d in stable(published.diagnostics)] == warning


async def test_initialization_options_under_a_kslint_key(bare: LanguageClient):
    # VS Code extensions usually pass their whole settings section.
    await init(bare, "visual-studio-code", {"kslint": {"rules": {"unused-suppression": "off"}}})
    # The client answers the pull after `initialized` with the same settings.
    bare.set_configuration({"rules": {"unused-suppression": "off"}}, section="kslint")
    doc = Document(bare, bare.workspace / "ks.cfg", UNUSED_SUPPRESSION)
    assert await doc.diagnostics() == []


async def test_neovim_0_7_session(bare: LanguageClient):
    await init(bare, "neovim@v0.7.0")
    assert bare.initialize_result.capabilities.position_encoding in (
        None,
        types.PositionEncodingKind.Utf16,
    )
    doc = Document(bare, bare.workspace / "ks.cfg", variant("vim-enhanced\n%end\n", "vim-enhanced\n"))
    assert codes(await doc.diagnostics()) == ["KS0001"]
    doc.replace("vim-enhanced\n", "vim-enhanced\n%end\n")
    assert await doc.diagnostics() == []


async def test_no_snippets_for_clients_without_snippet_support(bare: LanguageClient):
    await init(bare, "neovim@v0.7.0")
    snippets = bare.capabilities.text_document.completion.completion_item.snippet_support
    assert not snippets
    text = variant("reboot\n", "network --boot\nreboot\n")
    doc = Document(bare, bare.workspace / "ks.cfg", text)
    # pytest.ini turns pytest-lsp's LspSpecificationWarning into an error.
    await asyncio.wait_for(
        bare.text_document_completion_async(
            types.CompletionParams(text_document=doc.ident(), position=doc.pos("--boot", 6))
        ),
        TIMEOUT,
    )


async def test_watched_files_are_registered_dynamically(bare: LanguageClient):
    await init(bare, "visual-studio-code")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not bare.registrations and loop.time() < deadline:
        await asyncio.sleep(0.01)
    (registration,) = [
        r for r in bare.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]
    globs = {w["globPattern"] for w in registration.register_options["watchers"]}
    assert {"**/*.ks", "**/*.cfg", "**/kslint.toml"} <= globs, globs


async def test_a_file_created_on_disk_is_seen_after_did_change_watched_files(bare: LanguageClient):
    await init(bare, "visual-studio-code")
    text = variant("%include parts/network.ks\n", "%include parts/storage.ks\n")
    doc = Document(bare, bare.workspace / "ks.cfg", text)
    assert codes(await doc.diagnostics()) == ["KS0013"]
    part = bare.workspace / "parts" / "storage.ks"
    part.write_text("clearpart --all\n")
    count = len(bare.published)
    bare.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=part.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    published = await wait_publish(bare, doc.uri, after=count, where=lambda d: d == [])
    assert stable(published.diagnostics) == []


async def test_an_included_file_open_in_another_buffer_is_used(bare: LanguageClient):
    await init(bare, "neovim")
    text = variant("%include parts/network.ks\n", "%include parts/unsaved.ks\n")
    doc = Document(bare, bare.workspace / "ks.cfg", text)
    assert codes(await doc.diagnostics()) == ["KS0013"]
    # A new buffer, never written to disk: the including file is re-checked.
    count = len(bare.published)
    Document(bare, bare.workspace / "parts" / "unsaved.ks", "firewall --enabled\n")
    published = await wait_publish(bare, doc.uri, after=count, where=lambda d: d == [])
    assert stable(published.diagnostics) == []


async def test_exit_ends_the_process(bare: LanguageClient):
    await init(bare, "neovim")
    Document(bare, bare.workspace / "ks.cfg", CLEAN)
    await asyncio.wait_for(bare.shutdown_async(None), TIMEOUT)
    bare.exit(None)
    try:
        status = await asyncio.wait_for(bare._server.wait(), 3)
    finally:
        # Reap the process either way, so the fixture does not try again.
        bare._server.stdin.close()
        await asyncio.wait_for(bare._server.wait(), TIMEOUT)
    assert status == 0


async def test_a_request_after_exit_does_not_keep_the_process_alive(bare: LanguageClient):
    await init(bare, "neovim@v0.7.0")
    Document(bare, bare.workspace / "ks.cfg", CLEAN)
    await asyncio.wait_for(bare.shutdown_async(None), TIMEOUT)
    bare.exit(None)
    await asyncio.sleep(0.3)
    # What Neovim's exit handler does for a client that is still listed.
    bare.protocol.send_request("shutdown", None)
    await asyncio.sleep(0.3)
    bare._server.stdin.close()
    try:
        status = await asyncio.wait_for(bare._server.wait(), 3)
    finally:
        if bare._server.returncode is None:
            bare._server.kill()  # do not leave it behind
            await asyncio.wait_for(bare._server.wait(), TIMEOUT)
    assert status == 0
