#!/usr/bin/env bash
# The main job on a fresh machine: builds a tiny HF-format Llama base, trains a LoRA adapter on a reversal task
# with the local trainer, checks the eval loss dropped, and writes PEFT files under ./out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=out/demo
mkdir -p "$OUT"
lora() { dotnet run -c Release --project src/Lora.Cli -- "$@"; }
dotnet build -c Release src/Lora.Cli -v quiet -nologo
lora model init-tiny --out "$OUT/base" --layers 2 --hidden 64 --seed 0 --force
python3 - "$OUT/reverse.jsonl" <<'PY'
import json, random, sys
random.seed(0)
with open(sys.argv[1], "w") as f:
    for _ in range(400):
        w = "".join(random.choice("abcdef") for _ in range(random.randint(3, 5)))
        f.write(json.dumps({"prompt": f"reverse {w} =", "completion": " " + w[::-1]}) + "\n")
PY
lora train-local --model "$OUT/base" --data "$OUT/reverse.jsonl" --out "$OUT/adapter" \
  --rank 8 --alpha 16 --targets all-linear --lr 1e-2 --steps 150 --batch-size 16 --seq-len 24 --json
lora eval --model "$OUT/base" --data "$OUT/reverse.jsonl" --json
lora eval --model "$OUT/base" --adapter "$OUT/adapter" --data "$OUT/reverse.jsonl" --json
echo "PEFT adapter written to $OUT/adapter"
