"""Write translations/id/LC_MESSAGES/messages.po and compile messages.mo from id_messages.ID.

Run: python -m setia.entrypoints.web.translations.build (the compiled .mo is committed, so a clean checkout
works without this step; a test checks it is up to date)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from setia.entrypoints.web.translations.id_messages import ID

HERE = Path(__file__).parent
FOLDER = HERE / "id" / "LC_MESSAGES"


def catalogue() -> Catalog:
    fixed = datetime(2026, 12, 1, tzinfo=timezone.utc)  # fixed dates: the same source compiles to the same bytes
    catalog = Catalog(locale="id", project="Setia", domain="messages", creation_date=fixed, revision_date=fixed,
                      version="0.1", fuzzy=False)
    for source, translated in ID.items():
        catalog.add(source, translated)
    return catalog


def compiled() -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue())
    return buffer.getvalue()


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    with open(FOLDER / "messages.po", "wb") as po_file:
        write_po(po_file, catalogue(), omit_header=False, sort_output=True, width=120)
    (FOLDER / "messages.mo").write_bytes(compiled())


if __name__ == "__main__":
    main()
