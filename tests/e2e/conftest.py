"""Shared set-up for the end-to-end tests: `kslint lsp` runs as a real
subprocess over stdio and pytest-lsp is the client.

The server binary is `target/debug/kslint` (built by `cargo build` first), or
whatever `$KSLINT` names.  Each test gets a fresh server and a fresh
workspace directory (see `workspace`).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pygls.protocol import default_converter

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = HERE / "fixtures"
KSLINT = os.environ.get("KSLINT") or str(REPO / "target" / "debug" / "kslint")

# Recorded capabilities of real clients, shipped with pytest-lsp: the latest
# Neovim (0.11, which offers UTF-8 positions and answers
# workspace/configuration) and VS Code (UTF-16 only).
CLIENTS = ["neovim", "visual-studio-code"]

# How long a test waits for the server before it fails.
TIMEOUT = float(os.environ.get("KSLINT_E2E_TIMEOUT", "15"))


def pytest_configure(config):
    if not pathlib.Path(KSLINT).is_file():
        raise pytest.UsageError(
            f"no kslint binary at {KSLINT}: run `cargo build` first or set $KSLINT"
        )


def make_client() -> LanguageClient:
    """pytest-lsp's client, recording every `publishDiagnostics` (with its
    version) instead of keeping only the last list per URI."""
    client = LanguageClient(converter_factory=default_converter)

    def on_publish(ls: LanguageClient, params: types.PublishDiagnosticsParams):
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.append(params)

    def on_register(ls: LanguageClient, params: types.RegistrationParams):
        ls.registrations.extend(params.registrations)

    def on_unregister(ls: LanguageClient, params: types.UnregistrationParams):
        gone = {u.id for u in params.unregisterations}
        ls.registrations[:] = [r for r in ls.registrations if r.id not in gone]

    client.published = []
    client.registrations = []
    register_lsp_features(
        client,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: on_publish,
            types.CLIENT_REGISTER_CAPABILITY: on_register,
            types.CLIENT_UNREGISTER_CAPABILITY: on_unregister,
        },
    )
    return client


def server_config(*args: str) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[KSLINT, "lsp", *args],
        client_factory=make_client,
        server_env={**os.environ, "RUST_BACKTRACE": "1"},
    )


@pytest.fixture
def workspace(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of `fixtures/workspace` (a kickstart, an included part, a
    `kslint.toml`) in a temporary directory: the server reads included files
    from disk, and tests may change them."""
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "workspace", root)
    return root


async def start_session(
    client: LanguageClient,
    capabilities: types.ClientCapabilities,
    root: pathlib.Path,
    initialization_options=None,
) -> types.InitializeResult:
    result = await asyncio.wait_for(
        client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options=initialization_options,
            )
        ),
        TIMEOUT,
    )
    assert result.server_info is not None and result.server_info.name == "kslint"
    return result


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(request, lsp_client: LanguageClient, workspace: pathlib.Path):
    """A server initialised by a client with recorded real capabilities."""
    lsp_client.client_name = request.param
    lsp_client.workspace = workspace
    lsp_client.initialize_result = await start_session(
        lsp_client, client_capabilities(request.param), workspace
    )
    yield
    await stop_session(lsp_client)


async def stop_session(client: LanguageClient, close_stdin: bool = True) -> int | None:
    """`shutdown`, `exit`, and the server's exit status.

    Closing the server's stdin after `exit` works around the server staying
    alive until its stdin is closed (see `test_exit_ends_the_process`).
    Returns None when the server never started a session."""
    if client.capabilities is None or client._server is None:
        return None
    if client._server.returncode is not None:
        return client._server.returncode
    if client.error is None:
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
    if close_stdin and client._server.stdin is not None:
        client._server.stdin.close()
    return await asyncio.wait_for(client._server.wait(), TIMEOUT)
