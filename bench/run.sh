#!/usr/bin/env bash
# Benchmarks Modelyard with the shared harness (see BENCHMARKS.md). Starts a fresh gateway on SQLite with a
# channel to the harness's mock upstream (http://127.0.0.1:9100/v1), runs the scenarios, stops the gateway.
#   bench/run.sh                      # scenarios A,A1,B,D,F (C needs embeddings, not served yet)
#   BENCH_SCENARIOS=A,A1 bench/run.sh
#   BENCH_CHANNELS=3 bench/run.sh     # every model served by three channels (routing overhead)
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS="${BENCH_HARNESS:-../shared/bench}"
PORT="${BENCH_GATEWAY_PORT:-4000}"
WORK="$(mktemp -d)"
export MODELYARD_DATA_DIR="$WORK" MODELYARD_PORT="$PORT" MODELYARD_LOG_LEVEL=warning
M=.venv/bin/modelyard

make -s install
bash "$HARNESS/run_bench.sh" --setup
$M catalog import bench/catalog.json >/dev/null
$M users create bench@example.com --password bench-password >/dev/null
$M credits grant bench@example.com 1000000 >/dev/null
for n in $(seq 1 "${BENCH_CHANNELS:-1}"); do
  $M channels add "mock-$n" --provider openai --base-url http://127.0.0.1:9100/v1 --api-key sk-mock \
    --models mock-gpt=mock-gpt,mock-gpt-delay-50ms=mock-gpt-delay-50ms,mock-embed=mock-embed,mock-fail-500=mock-fail-500,mock-fail-429=mock-fail-429,mock-drop-mid-stream=mock-drop-mid-stream,mock-hang=mock-hang >/dev/null
done
KEY="$($M keys create bench@example.com --name bench | tail -1)"

$M serve > "$WORK/serve.log" 2>&1 &
GW_PID=$!
trap 'kill $GW_PID 2>/dev/null; wait $GW_PID 2>/dev/null; $M ledger verify; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

GATEWAY_URL="http://127.0.0.1:$PORT" GATEWAY_API_KEY="$KEY" GATEWAY_PID="$GW_PID" \
  BENCH_SCENARIOS="${BENCH_SCENARIOS:-A,A1,B,D,F}" bash "$HARNESS/run_bench.sh"
