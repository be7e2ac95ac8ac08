"""`hostprovider catalog`: print the shop, and the operator's `import FILE` and `export`.

`catalog import` reads a TOML file, lists every problem in it (one line each, naming its place,
exit 2) or publishes it as the next version; `--check` stops before publishing. `catalog export`
prints the current version in the same form, ready to edit and import again."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from domain.model.catalogue_document import CatalogueRejected
from domain.usecases.catalogue_admin import check_catalogue, publish_catalogue, published_document
from domain.usecases.operator import CONSOLE
from entrypoints.catalogue_toml import dump_toml, parse_toml
from entrypoints.cli_admin import database_runtime
from entrypoints.config import ConfigError, load_settings


@contextlib.contextmanager
def _runtime(on_database: bool) -> Iterator[Any]:
    """The database's runtime (`on_database`, or whenever one is configured), else the
    sandbox's, whose in-process hypervisor and built-in catalogue serve to check a file."""
    if on_database or load_settings().database_url is not None:
        with database_runtime() as rt:
            yield rt
        return
    from entrypoints.container import build

    yield build(load_settings()).runtime()


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        raise ConfigError(f"cannot read {path}: {getattr(ex, 'strerror', None) or ex}") from None
    try:
        document = parse_toml(text)
        with _runtime(on_database=not args.check) as runtime:
            if args.check:
                catalogue = check_catalogue(runtime, CONSOLE, document)
                print(f"{path}: no problems ({_summary(catalogue)}); nothing was published")
                return 0
            catalogue = publish_catalogue(runtime, CONSOLE, document)
    except CatalogueRejected as ex:
        for problem in ex.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(
            f"{path}: refused, {len(ex.problems)} problem(s); nothing was published",
            file=sys.stderr,
        )
        return 2
    print(f"published catalogue version {catalogue.version} ({_summary(catalogue)})")
    return 0


def _summary(catalogue: Any) -> str:
    return (
        f"{len(catalogue.locations)} locations, {len(catalogue.images)} images, "
        f"{len(catalogue.tariffs)} tariffs"
    )


def _export(args: argparse.Namespace) -> int:
    with _runtime(on_database=False) as runtime:
        sys.stdout.write(dump_toml(published_document(runtime, CONSOLE)))
    return 0


def register(commands: Any, show: Callable[[argparse.Namespace], int]) -> None:
    """The `catalog` command group; `show` is plain `catalog` (the shop as JSON)."""
    catalog = commands.add_parser("catalog", help="the catalogue: print, import, export")
    catalog.set_defaults(run=show)
    actions = catalog.add_subparsers(dest="catalog_command")
    imported = actions.add_parser(
        "import", help="check a TOML catalogue and publish it as the next version"
    )
    imported.add_argument("file", help="the TOML file (see deploy/catalogue.example.toml)")
    imported.add_argument(
        "--check", action="store_true", help="only check it (document and templates)"
    )
    imported.set_defaults(run=_import)
    actions.add_parser(
        "export", help="print the current catalogue as TOML, ready to edit and import"
    ).set_defaults(run=_export)
