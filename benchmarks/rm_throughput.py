"""Scoring throughput of rm.similarity and rm.classifier on the GSM8K stored completions.

Side by side in one run: each reward through the rewardkit host (``rewardkit.reward(...)``:
validation, outcome accounting) and the same work done directly with the underlying library
(sentence-transformers ``encode`` + cosine; a transformers forward loop with the same
tokenisation). Models are loaded and warmed up before timing. It also checks that many small
calls reuse the one loaded model.

    nice -n 10 python benchmarks/rm_throughput.py --limit 1000 --classifier /tmp/rm-gsm8k/model

Without ``--classifier`` a tiny random reward model is built from a config (no download).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=1000, help="completions to score (of 5,276)")
    ap.add_argument("--classifier", default=None, help="reward model folder (default: a tiny random one)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--small-calls", type=int, default=1000, help="single-completion calls for the load-once check")
    args = ap.parse_args()

    import torch

    import rewardkit
    from rewardkit.tasks import gsm8k
    from rewardkit_rm.classifier import load_classifier
    from rewardkit_rm.encoding import encode
    from rewardkit_rm.models import cache
    from rewardkit_rm.similarity import load_encoder

    rows = gsm8k.load("completions", limit=args.limit)
    comps = [r["completion"] for r in rows]
    prompts = [r["question"] for r in rows]
    refs = [r["reference"] for r in rows]
    n = len(rows)
    model = args.classifier
    if model is None:
        from rewardkit.tiny import save_tiny

        model = str(save_tiny(tempfile.mkdtemp(prefix="rm-tiny-"), "classifier"))
    print(f"{n} GSM8K completions, batch size {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")

    sim = rewardkit.reward("rm.similarity", answer="full", device="cpu", batch_size=args.batch_size)
    encoder = load_encoder("all-MiniLM-L6-v2", "cpu")
    sim(comps[:8], reference=refs[:8])  # warm up

    def st_direct() -> None:
        unique = sorted(set(comps) | set(refs))
        emb = encoder.encode(unique, batch_size=args.batch_size, normalize_embeddings=True, convert_to_tensor=True)
        row = {t: i for i, t in enumerate(unique)}
        [float(emb[row[c]] @ emb[row[r]]) for c, r in zip(comps, refs)]

    rm = rewardkit.reward("rm.classifier", model=model, device="cpu", batch_size=args.batch_size)
    rm(comps[:8], prompts=prompts[:8])  # warm up
    loaded = load_classifier(model, "cpu")
    max_length = min(int(loaded.meta.get("max_length") or 1024), loaded.max_positions)

    def hf_direct() -> None:
        tok, net = loaded.tokenizer, loaded.model
        ids = [encode(tok, p, c, max_length, "left") for p, c in zip(prompts, comps)]
        with torch.inference_mode():
            for i in range(0, n, args.batch_size):
                batch = tok.pad({"input_ids": ids[i : i + args.batch_size]}, return_tensors="pt")
                net(**batch).logits[:, 0].tolist()

    rows_out = [
        ("rm.similarity (rewardkit host)", timed(lambda: sim(comps, reference=refs))),
        ("sentence-transformers encode + cosine", timed(st_direct)),
        ("rm.classifier (rewardkit host)", timed(lambda: rm(comps, prompts=prompts))),
        ("transformers forward, same inputs", timed(hf_direct)),
    ]
    print(f"\n{'what':40} {'completions/s':>14} {'seconds':>8}")
    for name, secs in rows_out:
        print(f"{name:40} {n / secs:14.1f} {secs:8.1f}")
    print("(the direct transformers loop pads in input order; the host sorts by length first)")

    loads = cache.loads
    t = timed(lambda: [rm([c], prompts=[p]) for c, p in zip(comps[: args.small_calls], prompts)])
    calls = min(args.small_calls, n)
    print(f"\n{calls} single-completion rm.classifier calls: {calls / t:.1f} calls/s; "
          f"model loads during them: {cache.loads - loads} (models loaded in this process: {cache.loads})")


if __name__ == "__main__":
    main()
