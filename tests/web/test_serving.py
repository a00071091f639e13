"""How Modelyard serves the web app (web.py), against a made-up build: the files, the index.html fallback for
client routes, caching and gzip; and that API paths keep their JSON errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from modelyard.app import create_app
from modelyard.config import Settings
from modelyard.errors import install_error_handlers
from modelyard.web import WebApp, install_web

INDEX = (
    "<!doctype html><html><body><div id=root></div><script src=/assets/app-3f2a.js></script></body></html>"
)
SCRIPT = "console.log('modelyard');\n" * 200


def build(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-3f2a.js").write_text(SCRIPT)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


def app_with(root: Path) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/things")
    async def things() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/api/only-post")
    async def only_post() -> dict[str, str]:
        return {"ok": "yes"}

    install_web(app, root)
    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return app_with(build(tmp_path / "static"))


def test_client_routes_get_index_html_revalidated(client: TestClient) -> None:
    for path in ("/", "/models", "/models/openai/gpt-4o", "/signin?next=/rankings", "/no/such/page"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_hashed_assets_are_cached_for_a_year_and_gzipped(client: TestClient) -> None:
    response = client.get("/assets/app-3f2a.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "javascript" in response.headers["content-type"]
    assert response.text == SCRIPT  # httpx decoded it
    plain = client.get("/assets/app-3f2a.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == SCRIPT.encode()
    assert len(gzip.compress(SCRIPT.encode())) < len(SCRIPT) / 10


def test_other_files_are_served_as_themselves(client: TestClient) -> None:
    response = client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "public, max-age=3600"


def test_an_unchanged_file_answers_304(client: TestClient) -> None:
    first = client.get("/")
    again = client.get("/models", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_a_missing_asset_is_a_404_not_the_page(client: TestClient) -> None:
    response = client.get("/assets/gone-1234.js")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": 404, "message": "Not found"}}


@pytest.mark.parametrize(
    "path", ["/api/unknown", "/api", "/v1/nothing", "/docs/x", "/openapi.json/x", "/healthz", "/metrics"]
)
def test_api_paths_keep_the_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404


def test_the_api_still_answers_and_keeps_its_405(client: TestClient) -> None:
    assert client.get("/api/things").json() == {"ok": "yes"}
    assert client.get("/api/only-post").status_code == 405
    # Not a GET: never the web app.
    assert client.post("/models").status_code == 404
    assert client.post("/api/nothing").status_code == 404


def test_nothing_outside_the_build_is_served(tmp_path: Path) -> None:
    root = build(tmp_path / "static")
    (tmp_path / "secret.txt").write_text("top secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    client = app_with(root)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt", "/link.txt"):
        response = client.get(path)
        assert "top secret" not in response.text, path


def test_a_rebuilt_file_is_read_again(tmp_path: Path) -> None:
    root = build(tmp_path / "static")
    client = app_with(root)
    assert client.get("/").text == INDEX
    (root / "index.html").write_text(INDEX + "<!-- new build -->")
    assert client.get("/").text.endswith("<!-- new build -->")


def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    client = app_with(tmp_path / "nothing-here")
    response = client.get("/")
    assert response.status_code == 200
    assert "not built" in response.text and "make web" in response.text
    assert client.get("/models/openai/gpt-4o").status_code == 200
    assert client.get("/api/things").json() == {"ok": "yes"}
    assert client.get("/assets/app.js").status_code == 404


def test_create_app_serves_the_web_app_last(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 40)))
    assert isinstance(app.router.default, WebApp)
    # Every API route is matched before the fallback is asked.
    client = TestClient(app)
    assert client.get("/api/definitely-not-a-route").json()["error"]["code"] == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "Modelyard"
