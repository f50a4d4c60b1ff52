"""Small data: the same GAN and budget on subsets of a face folder, without augmentation, with
DiffAugment and with ADA. KID and FID of the final EMA generator against the *whole* folder
(so a generator that memorised its subset is not rewarded). Prints one JSON line per run.

    python benchmarks/small_data.py --data ../shared/data/celeba --sizes 1000,15000 \
        --resolution 32 --steps 5000 --n 2000 [--extractor inception] [--out runs/small-data]

On a GPU use --resolution 64 and the default extractor; on CPU, 32x32 and KID on 2,000 samples.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from gankit.app import train
from gankit.data import DATASETS
from gankit.metrics.evaluate import evaluate
from gankit.run.load import build_generator, latent_of, load_checkpoint
from gankit.run.rundir import RunDir
from gankit.use.sample import generator_sampler

#: the seeds' DCGAN players with the logistic loss and R1 (ADA's heuristic reads D's logits)
BASE = [
    "loss.name=nonsaturating", "regularizers.gradient_penalty=null", "regularizers.r1.weight=0.1",
    "train.n_critic=1", "model.discriminator.norm=none", "optim.g.lr=2e-4", "optim.d.lr=2e-4",
    "optim.g.betas=[0.0, 0.99]", "optim.d.betas=[0.0, 0.99]", "model.ema=0.999",
]  # fmt: skip
AUGMENTATIONS = {
    "none": [],
    "diffaugment": ["regularizers.diffaugment.policy=color,translation,cutout"],
    "ada": ["regularizers.ada.target=0.6"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--sizes", default="1000,15000")
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--extractor", default="inception")
    ap.add_argument("--out", default="runs/small-data")
    ap.add_argument("--augment", default=",".join(AUGMENTATIONS))
    args = ap.parse_args()
    full = DATASETS.build("folder", path=args.data, resolution=args.resolution)
    for size in map(int, args.sizes.split(",")):
        for aug in args.augment.split(","):
            out = Path(args.out) / f"{size}-{aug}"
            sets = [f"data.limit={size}", f"data.resolution={args.resolution}", "data.hflip=true",
                    f"log.checkpoint_every={args.steps}", f"train.batch_size={args.batch}", *BASE,
                    *AUGMENTATIONS[aug]]  # fmt: skip
            start = time.perf_counter()
            train("celeba64-wgan-gp", flags={"data.path": args.data, "train.steps": args.steps},
                  sets=sets, out=str(out), overwrite=True)  # fmt: skip
            seconds = time.perf_counter() - start
            state, cfg = load_checkpoint(RunDir(out), "latest")
            G = build_generator(state, cfg).to("cuda" if torch.cuda.is_available() else "cpu")
            # the real features are computed once per benchmark folder, not once per run
            key = {"name": "small-data", "path": args.data, "resolution": args.resolution}
            with torch.no_grad():
                scores = evaluate(full, generator_sampler(G, latent_of(state, cfg)), ["kid", "fid"],
                                  args.n, args.extractor, cache_root=Path(args.out) / "features",
                                  dataset_key=key)  # fmt: skip
            print(json.dumps({"images": size, "augment": aug, "steps": args.steps,
                              "train_s": round(seconds, 1), **scores}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
