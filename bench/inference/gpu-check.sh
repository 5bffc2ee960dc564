#!/usr/bin/env bash
# GPU readiness check for iSeg QA's worker (docs: bench/inference/README.md, "GPU check").
# Self-contained and offline: run it from the repository root on an NVIDIA GPU host after `npm install`.
#   bash bench/inference/gpu-check.sh [cuda|webgpu] [extra options for gpu-check.ts]
# It checks the driver, the onnxruntime CUDA provider libraries, then runs bench/inference/gpu-check.ts
# (provider start without fallback, 10-phase 512×512×100 4D CT on CPU and GPU, masks compared, time per phase).
set -euo pipefail
cd "$(dirname "$0")/../.."
provider="${1:-cuda}"
shift || true

if [ "$provider" = cuda ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "FAIL: nvidia-smi not found: this check needs an NVIDIA GPU with its driver installed." >&2
    exit 1
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  ort_dir=$(ls -d node_modules/onnxruntime-node/bin/napi-v*/linux/x64 2>/dev/null | head -n 1 || true)
  if [ -z "$ort_dir" ]; then
    echo "FAIL: node_modules/onnxruntime-node is not installed: run npm install first." >&2
    exit 1
  fi
  if ! ls "$ort_dir"/libonnxruntime_providers_cuda.so >/dev/null 2>&1; then
    echo "FAIL: the onnxruntime CUDA provider is not in $ort_dir (libonnxruntime_providers_cuda.so)." >&2
    echo "      On a host with network access run once:" >&2
    echo "        ONNXRUNTIME_NODE_INSTALL=cuda12 npx node node_modules/onnxruntime-node/script/install" >&2
    echo "      (needs CUDA 12 and cuDNN 9 libraries on the library path; see docs/environment.md)." >&2
    exit 1
  fi
  echo "onnxruntime CUDA provider: $ort_dir/libonnxruntime_providers_cuda.so"
fi

exec npx tsx bench/inference/gpu-check.ts --provider "$provider" "$@"
