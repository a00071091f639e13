"""Writes the API's OpenAPI document to web/openapi.json, from which the web app's types are generated.

    python -m modelyard.openapi_export            # writes web/openapi.json
    python -m modelyard.openapi_export --check    # exits 1 when web/openapi.json differs from the app's

The document is built from `create_app` with fixed settings (nothing runs: no database, no lifespan), and
written with sorted keys, so the same code always gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from modelyard.app import create_app
from modelyard.config import Settings

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "web" / "openapi.json"
REGENERATE = ".venv/bin/python -m modelyard.openapi_export && (cd web && npm run gen:api)"


def document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        # Every setting that shows in the document is given here, so the environment cannot change it.
        settings = Settings(
            data_dir=Path(data_dir),
            database_url="",
            secret_key=SecretStr("openapi-export-" + "x" * 32),
            oidc_provider_name="Google",
        )
        app = create_app(settings)
        return app.openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelyard.openapi_export", description=__doc__.split("\n")[0]
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when stale")
    args = parser.parse_args(argv)
    path: Path = args.path
    text = render()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is stale; regenerate it with: {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
