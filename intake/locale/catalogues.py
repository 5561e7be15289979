"""Extract the texts from the code and templates and keep the catalogues in step (`make messages`).

The unit test runs `extract` and `problems` in memory, so a text added to a template without its
English, or left in a catalogue after the code stopped using it, fails the build.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from intake.locale import DOMAIN, LANGUAGES, LOCALES

ROOT = Path(__file__).resolve().parents[2]
"""The repository: the extraction reads `babel.cfg` and the `intake` sources from here."""
LOCALE_DIR = Path(__file__).resolve().parent


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Where the catalogue of `lang` lives."""
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(root: Path = ROOT) -> Catalog:
    """Extract every text of `intake` (Python and Jinja templates, as `babel.cfg` says) into a template."""
    with (root / "babel.cfg").open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)  # type: ignore[no-untyped-call]
    template = Catalog(project="beredning", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, directory_filter=lambda path: _in_scope(Path(path), root)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _in_scope(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).parts
    return not relative or (relative[0] == "intake" and not any(p.startswith(".") for p in relative))


def read(lang: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """Read the catalogue of `lang`."""
    with po_path(lang, locale_dir).open("rb") as po:
        return read_po(po, locale=LOCALES[lang], domain=DOMAIN)


def _keys(catalog: Iterable[object]) -> set[tuple[str | None, str]]:
    keys = set()
    for message in catalog:
        msgid = message.id  # type: ignore[attr-defined]
        if msgid:
            keys.add((message.context, msgid if isinstance(msgid, str) else msgid[0]))  # type: ignore[attr-defined]
    return keys


def problems(template: Catalog, catalogues: dict[str, Catalog]) -> list[str]:
    """What is wrong with `catalogues` (by language) against the extracted `template`.

    A text is missing (extracted, not in a catalogue), stale (in a catalogue, no longer extracted),
    or untranslated (no English, or English marked fuzzy). Swedish is the msgid, so the Swedish
    catalogue needs no msgstr.
    """
    wanted = _keys(template)
    found: list[str] = []
    for lang, catalog in catalogues.items():
        have = _keys(catalog)
        found += [f"{lang}: missing {_show(k)}" for k in sorted(wanted - have, key=str)]
        found += [f"{lang}: stale {_show(k)}" for k in sorted(have - wanted, key=str)]
        if lang == "sv":
            continue
        for message in catalog:
            if not message.id or (message.context, _msgid(message.id)) not in wanted:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                found.append(f"{lang}: untranslated {_show((message.context, _msgid(message.id)))}")
    return found


def _msgid(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _show(key: tuple[str | None, str]) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def update(root: Path = ROOT, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """Write `beredning.pot` and bring both catalogues in step with it (new texts empty, stale ones out)."""
    template = extract(root)
    with (locale_dir / f"{DOMAIN}.pot").open("wb") as pot:
        write_po(pot, template, width=100, sort_output=True, omit_header=False)
    for lang in LANGUAGES:
        catalog = read(lang, locale_dir)
        catalog.update(template, no_fuzzy_matching=True)
        with po_path(lang, locale_dir).open("wb") as po:
            write_po(po, catalog, width=100, sort_output=True, ignore_obsolete=True)
    return template


def main() -> None:
    """`make messages`: update the catalogues, then list what still needs a translator."""
    argparse.ArgumentParser(description=__doc__).parse_args()
    template = update()
    left = problems(template, {lang: read(lang) for lang in LANGUAGES})
    print(f"{len(template)} texts; {len(left)} need attention")
    for line in left:
        print("  " + line)


if __name__ == "__main__":
    main()
