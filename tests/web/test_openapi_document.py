"""web/openapi.json (from which web/src/api/schema.d.ts is generated) is the live app's document."""

from __future__ import annotations

from modelyard import openapi_export


def test_web_openapi_json_is_up_to_date() -> None:
    committed = openapi_export.DEFAULT_PATH.read_text(encoding="utf-8")
    assert committed == openapi_export.render(), (
        "web/openapi.json is stale versus the app; regenerate it and the web app's types: "
        + openapi_export.REGENERATE
    )


def test_the_document_is_stable_and_sorted() -> None:
    first = openapi_export.render()
    assert first == openapi_export.render()
    assert first.endswith("\n")
    assert '"/api/auth/options"' in first
