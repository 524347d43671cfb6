#!/usr/bin/env bash
# Runs the GPU check on a machine with an NVIDIA GPU: makes the models (make_models.py), then checks the CUDA path of
# the published GPU build for a convolutional image-sized network and a MiniLM-shaped text encoder.
# Usage: run-gpu-check.sh CHECK_BINARY MODEL_DIR [SECONDS]
#   CHECK_BINARY = the output of
#   dotnet publish tests/Retrieval.Encoders.Onnx.GpuCheck -c Release -p:RetrievalOnnxGpu=true -o DIR  (DIR/Retrieval.Encoders.Onnx.GpuCheck)
set -euo pipefail
check=$1 models=$2 seconds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$models/minilm.onnx" ] || python3 "$here/make_models.py" "$models"
status=0
"$check" tensor "$models/resnet50.onnx" pixels embedding 2048 3,224,224 --require-cuda --seconds "$seconds" || status=$?
"$check" text "$models/minilm.onnx" "$models/vocab.txt" last_hidden_state 384 mean --require-cuda --seconds "$seconds" || status=$?
exit $status
