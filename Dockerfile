# Modelyard: the gateway and its web app in one image.
#   docker build -t modelyard .
#   docker run -p 8000:8000 -v modelyard-data:/data modelyard      (SQLite in the volume)
# For PostgreSQL, Redis and several instances see compose.yaml and docs/deployment.md.

# --- the web app: built with the exact npm lock, into src/modelyard/static
FROM node:20.20-bookworm-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- the service
FROM python:3.11.7-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MODELYARD_HOST=0.0.0.0 \
    MODELYARD_PORT=8000 \
    MODELYARD_DATA_DIR=/data
RUN groupadd --system --gid 10001 modelyard \
    && useradd --system --uid 10001 --gid modelyard --home-dir /data --no-create-home modelyard \
    && mkdir -p /data && chown modelyard:modelyard /data
WORKDIR /app
# Dependencies first (runtime lock, hashes checked), so a code change does not reinstall them.
COPY requirements.runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.runtime.lock
COPY pyproject.toml README.md ./
COPY src/ src/
COPY --from=web /build/src/modelyard/static/ src/modelyard/static/
RUN pip install --no-cache-dir --no-deps . && rm -rf src
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# `serve` migrates first (safe from several instances at once: an advisory lock), then serves.
CMD ["modelyard", "serve"]
