"""No module imports another package's private module or private name.

A package split into private modules keeps them behind its `__init__` (STYLE.md: "a package with
private modules and an `__init__` that re-exports"); what other packages need, it re-exports or
moves into a public module. This test reads every module of the four packages, and of the
development tools in `bench/` (`beredning_bench`, which may use only what the service makes
public), with `ast` and fails, listing file:line, on an import that reaches past that.

Private, and whose, precisely. In a dotted name, the first component that starts with `_` and is
not a dunder (`__init__`, `__version__`) makes the name private, and the name belongs to the
package that holds that component, its *owner*:

- `p._m` (a module of package `p`) and `p._name` (a name in `p/__init__.py`) belong to `p`;
- `p.m._name` (a name in module `p.m`) belongs to `p` too: a module's private names are its
  package's, so the other modules of `p` may use them;
- whatever lies below (`p._m.x`, `p._m._y`) belongs to the same owner.

A module's *own* package is `p` for `p/m.py` and for `p/__init__.py`. A module may import a
private name only when its own package is the owner or a subpackage of it: `p.m`, `p._m2` and
`p.q.r` may import `p._m`; `p2.m` may not, nor may the package above `p` (it gets only what `p`
makes public). Relative imports are resolved against the importer's own package first. Imports
anywhere in a file count, inside functions and under `TYPE_CHECKING` too. Only names in the
scanned packages are checked (a library's private modules are its own business), and tests are not
scanned (a test may exercise a private module).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("intake", "retrieval", "flows", "prompts", "beredning_bench")
BASES = {"beredning_bench": ROOT / "bench"}
"""The directory a scanned package lies in, when it is not the repository's root."""


def _base(top: str) -> Path:
    return BASES.get(top, ROOT)


def _sources() -> list[Path]:
    return sorted(path for top in SCANNED for path in (_base(top) / top).rglob("*.py"))


def _relative(path: Path) -> Path:
    """Return `path` relative to the directory its package lies in (`intake/x.py`, `beredning_bench/y.py`)."""
    top = next(top for top in SCANNED if path.is_relative_to(_base(top) / top))
    return path.relative_to(_base(top))


@cache
def _packages() -> frozenset[str]:
    """Every scanned package (a directory holding Python files), as a dotted name."""
    return frozenset(".".join(_relative(path).parent.parts) for path in _sources())


def _module_of(path: Path) -> tuple[str, bool]:
    """Return the dotted name of the module at `path` and whether it is a package's `__init__`."""
    parts = _relative(path).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def owner_of(name: str, packages: frozenset[str]) -> str | None:
    """Return the package a private dotted name belongs to, or None when the name is public."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            holder = ".".join(parts[:i])
            return holder if holder in packages else holder.rpartition(".")[0]
    return None


def _imported_names(node: ast.Import | ast.ImportFrom, own: str) -> list[str]:
    """Return the absolute dotted names an import statement reaches (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = own.split(".")
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    return [module if alias.name == "*" else f"{module}.{alias.name}" for alias in node.names]


def private_imports(
    source: str, module: str, *, is_package: bool = False, packages: frozenset[str] | None = None
) -> list[tuple[int, str, str, bool]]:
    """Return (line, name, owner, allowed) of every import of a private name of the scanned packages.

    `module` is the importer's dotted name; `is_package` says it is that package's `__init__`.
    """
    packages = _packages() if packages is None else packages
    own = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _imported_names(node, own):
            if name.split(".")[0] not in SCANNED:
                continue
            owner = owner_of(name, packages)
            if owner is not None:
                allowed = own == owner or own.startswith(owner + ".")
                found.append((node.lineno, name, owner, allowed))
    return found


def violations(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str, str]]:
    """Return (line, name, owner) of each import in `source` of another package's private name."""
    found = private_imports(source, module, is_package=is_package)
    return [(line, name, owner) for line, name, owner, allowed in found if not allowed]


def test_no_module_imports_another_packages_private_modules_or_names() -> None:
    sources = _sources()
    assert len(sources) > 100, "the scan found too few modules to mean anything"
    assert any(path.is_relative_to(ROOT / "bench") for path in sources), "bench/ was not scanned"
    broken: list[str] = []
    own_imports = 0
    for path in sources:
        module, is_package = _module_of(path)
        found = private_imports(path.read_text(encoding="utf-8"), module, is_package=is_package)
        own_imports += sum(allowed for *_, allowed in found)
        broken += [
            f"{path.relative_to(ROOT)}:{line}: {name} is private to {owner}"
            for line, name, owner, allowed in found
            if not allowed
        ]
    # The packages do import their own private modules (an `__init__` re-exports them): a scan that
    # saw none of those would be resolving nothing.
    assert own_imports > 20, f"only {own_imports} imports of a package's own private modules seen"
    assert not broken, (
        "Imports of another package's private module or name; re-export it from the owner's "
        "`__init__` (or make the module public), or stop needing it:\n" + "\n".join(broken)
    )


@pytest.mark.parametrize(
    ("module", "is_package", "source", "expected"),
    [
        (
            "intake.reminders.x",
            False,
            "from intake.agenda._text import masked_title",
            (1, "intake.agenda._text.masked_title", "intake.agenda"),
        ),
        (
            "intake.reminders.x",
            False,
            "from intake.agenda import _text",
            (1, "intake.agenda._text", "intake.agenda"),
        ),
        (
            "intake.reminders.x",
            False,
            "import intake.agenda._text as t",
            (1, "intake.agenda._text", "intake.agenda"),
        ),
        (
            "intake.reminders.x",
            False,
            "import os\n\n\ndef f() -> None:\n    from intake.agenda import _view\n",
            (5, "intake.agenda._view", "intake.agenda"),
        ),
        (
            "intake.web.forums.x",
            False,
            "from ...agenda import _view",
            (1, "intake.agenda._view", "intake.agenda"),
        ),
        (
            "intake.web.forums",
            True,
            "from ..review.item import _view",
            (1, "intake.web.review.item._view", "intake.web.review.item"),
        ),
        (
            "beredning_bench.benchmark._decidim",
            False,
            "from retrieval.evaluation._postgres import load_items",
            (1, "retrieval.evaluation._postgres.load_items", "retrieval.evaluation"),
        ),
        (
            "beredning_bench.benchmark._decidim",
            False,
            "from retrieval.evaluation import _fit",
            (1, "retrieval.evaluation._fit", "retrieval.evaluation"),
        ),
        (
            "beredning_bench.privacy.synthetic",
            False,
            "from intake.privacy._model import Kind",
            (1, "intake.privacy._model.Kind", "intake.privacy"),
        ),
        (
            "beredning_bench.cli.bench",
            False,
            "from intake.cli._context import CliContext",
            (1, "intake.cli._context.CliContext", "intake.cli"),
        ),
        (
            "intake.web.x",
            False,
            "from intake.cli.remind import _process",
            (1, "intake.cli.remind._process", "intake.cli"),
        ),
        ("intake.x", False, "from intake.agenda import _text", (1, "intake.agenda._text", "intake.agenda")),
        (
            "intake",
            True,
            "from .privacy._mask import mask",
            (1, "intake.privacy._mask.mask", "intake.privacy"),
        ),
    ],
)
def test_the_scan_catches_a_planted_violation(
    module: str, is_package: bool, source: str, expected: tuple[int, str, str]
) -> None:
    assert violations(source, module, is_package=is_package) == [expected]


@pytest.mark.parametrize(
    ("module", "is_package", "source"),
    [
        ("intake.agenda.build", False, "from intake.agenda import _text"),
        ("intake.agenda", True, "from intake.agenda._text import masked_title"),
        ("intake.agenda", True, "from ._text import masked_title"),
        ("intake.agenda.build", False, "from ._text import masked_body, split_sentences"),
        ("intake.agenda.sub.deep", False, "from .._text import masked_title"),
        ("intake.web.review.item._pages", False, "from intake.web.review.item._form import DraftForm"),
        ("intake.cli.privacy", False, "from intake.cli.remind import _process"),
        ("intake.privacy._mask", False, "from intake.privacy._model import _seal"),
        ("intake.reminders.x", False, "from intake.agenda import masked_title, view"),
        ("intake.x", False, "from __future__ import annotations\nfrom intake import __version__"),
        ("intake.x", False, "from os import _exit"),
        ("beredning_bench.privacy.synthetic", False, "from beredning_bench.privacy import _values as v"),
    ],
)
def test_the_scan_allows_a_package_its_own_private_names(module: str, is_package: bool, source: str) -> None:
    assert violations(source, module, is_package=is_package) == []
