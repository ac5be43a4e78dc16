"""Boot configurations in `kslint lsp` over stdio: hover on a kernel
argument, completion of argument names and of the media's kickstarts, and
go-to-definition from `inst.ks=…:/ks/ks.cfg` to the kickstart on the media.
"""

from __future__ import annotations

import asyncio
import pathlib
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import TIMEOUT
from helpers import Document

MENU = (
    "default ks\n"
    "timeout 50\n"
    "label ks\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img inst.stage2=hd:LABEL=E2E-MEDIA"
    " inst.ks=hd:LABEL=E2E-MEDIA:/ks/ks.cfg quiet inst.\n"
)


async def within(coroutine):
    return await asyncio.wait_for(coroutine, TIMEOUT)


def media(client: LanguageClient) -> pathlib.Path:
    """A media tree in the workspace: the loader's files, a kickstart, and
    the menu; returns the menu's path."""
    root = client.workspace / "media"
    (root / "isolinux").mkdir(parents=True)
    (root / "ks").mkdir()
    (root / "images").mkdir()
    (root / "images" / "install.img").write_text("image\n")
    (root / ".discinfo").write_text("1\nCentOS 7\nx86_64\n")
    for name in ("vmlinuz", "initrd.img"):
        (root / "isolinux" / name).write_text("boot file\n")
    (root / "ks" / "ks.cfg").write_text("lang C\n")
    menu = root / "isolinux" / "isolinux.cfg"
    menu.write_text(MENU)
    return menu


async def test_hover_on_an_installer_argument(client: LanguageClient):
    doc = Document(client, media(client), MENU, language_id="isolinux")
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=doc.ident(), position=doc.pos("inst.ks=", 2))
        )
    )
    assert hover is not None
    assert hover.contents.value.startswith("`inst.ks=<source>`"), hover.contents.value
    assert "kickstart" in hover.contents.value
    assert hover.range == types.Range(doc.pos("inst.ks="), doc.pos("inst.ks=", len("inst.ks")))


async def test_completion_of_arguments_and_kickstarts(client: LanguageClient):
    doc = Document(client, media(client), MENU, language_id="isolinux")
    result = await within(
        client.text_document_completion_async(
            types.CompletionParams(text_document=doc.ident(), position=doc.pos("quiet inst.", len("quiet inst.")))
        )
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    labels = [item.label for item in items]
    assert "inst.ks" in labels and "inst.stage2" in labels, labels
    assert all(label.startswith("inst.") for label in labels), labels

    doc.replace("quiet inst.", "quiet inst.ks=")
    result = await within(
        client.text_document_completion_async(
            types.CompletionParams(text_document=doc.ident(), position=doc.pos("quiet inst.ks=", len("quiet inst.ks=")))
        )
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    assert "inst.ks=hd:LABEL=E2E-MEDIA:/ks/ks.cfg" in [item.label for item in items]


async def test_definition_of_the_kickstart(client: LanguageClient):
    menu = media(client)
    doc = Document(client, menu, MENU, language_id="isolinux")
    result = await within(
        client.text_document_definition_async(
            types.DefinitionParams(text_document=doc.ident(), position=doc.pos("/ks/ks.cfg", 4))
        )
    )
    locations = result if isinstance(result, list) else [result]
    assert len(locations) == 1
    uri = getattr(locations[0], "uri", None) or locations[0].target_uri
    target = pathlib.Path(unquote(urlparse(uri).path))
    assert target.resolve() == (menu.parent.parent / "ks" / "ks.cfg").resolve(), uri
