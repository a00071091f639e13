"""The deployment files are linted and checked offline: the Dockerfile by hadolint and against what the image
must do, compose.yaml for the multi-instance layout the deployment guide describes, the Kubernetes manifests
against the Kubernetes API schemas (strict) and for the probes and wiring the service needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
HADOLINT = Path(sys.executable).parent / "hadolint"
PINNED = re.compile(r"^[\w./-]+:\d[\w.-]*$")  # an explicit version tag, never `latest`


def test_dockerfile_passes_hadolint_and_builds_what_the_service_needs() -> None:
    linted = subprocess.run([str(HADOLINT), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    text = (ROOT / "Dockerfile").read_text()
    for image in re.findall(r"^FROM (\S+)", text, re.M):
        assert PINNED.match(image), f"unpinned base image {image}"
    assert "pip install --no-cache-dir --require-hashes -r requirements.runtime.lock" in text
    assert re.search(r"^USER 10001", text, re.M), "the service must not run as root"
    assert "/healthz" in text and 'CMD ["modelyard", "serve"]' in text
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"COPY of a missing file: {path}"


def _requirement_names(lock: Path) -> set[str]:
    return {line.split("==")[0].lower() for line in lock.read_text().splitlines() if "==" in line}


def test_the_runtime_lock_holds_exactly_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _requirement_names(ROOT / "requirements.runtime.lock")
    full = _requirement_names(ROOT / "requirements.lock")
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower()
        assert name in runtime, f"{name} is missing from requirements.runtime.lock: run `make lock`"
    assert not {"pytest", "playwright", "mypy"} & runtime
    assert runtime <= full, "the locks disagree: run `make lock`"


def test_compose_runs_two_instances_on_one_database_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services: dict[str, Any] = compose["services"]
    assert {"postgres", "redis", "migrate", "modelyard-1", "modelyard-2", "nginx"} <= set(services)
    instances = [services["modelyard-1"], services["modelyard-2"]]
    # Settings that must match across instances come from one definition.
    assert instances[0]["environment"] == instances[1]["environment"]
    for name in ("MODELYARD_DATABASE_URL", "MODELYARD_REDIS_URL", "MODELYARD_SECRET_KEY"):
        assert name in instances[0]["environment"]
    assert instances[0]["environment"]["MODELYARD_DATABASE_URL"].startswith("postgresql://")
    for instance in instances:
        assert instance["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(instance["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["modelyard", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "nginx"):
        assert PINNED.match(services[name]["image"]), services[name]["image"]
        assert name == "nginx" or "healthcheck" in services[name]
    mounted = services["nginx"]["volumes"][0].split(":")[0]
    nginx = (ROOT / mounted).read_text()
    assert "proxy_buffering off;" in nginx
    assert all(f"server {s}:8000" in nginx for s in ("modelyard-1", "modelyard-2"))


def _kubernetes_documents() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is not None:  # what `kubectl apply -k` would send, labels and namespace applied
        built = subprocess.run([kubectl, "kustomize", str(KUBE)], capture_output=True, text=True, check=True)
        return [d for d in yaml.safe_load_all(built.stdout) if d]
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    return [
        d for name in kustomization["resources"] for d in yaml.safe_load_all((KUBE / name).read_text()) if d
    ]


def test_kubernetes_manifests_match_the_schemas_and_wire_the_service() -> None:
    documents = _kubernetes_documents()
    for document in documents:
        kubernetes_validate.validate(document, "1.32", strict=True)
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    deployment = by_kind[("Deployment", "modelyard")]
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = spec["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    references = {r.get("configMapRef", r.get("secretRef"))["name"] for r in container["envFrom"]}
    assert {("ConfigMap", "modelyard"), ("Secret", "modelyard")} <= {
        (kind, name) for kind, name in by_kind if name in references
    }
    service = by_kind[("Service", "modelyard")]
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    job = by_kind[("Job", "modelyard-migrate")]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["modelyard", "db", "upgrade"] and migrate["image"] == container["image"]
    ingress = by_kind[("Ingress", "modelyard")]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    secret = by_kind[("Secret", "modelyard")]
    assert all("CHANGE-ME" in value for value in secret["stringData"].values()), "no real secret in the repo"
