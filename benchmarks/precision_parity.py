"""Does bf16 autocast change what a run produces? (issue 26, section 2)

Each study trains one preset for the same seeds twice, in fp32 (``train.amp=none``) and with the
default ``train.amp=auto`` (bf16 on a CPU with AVX512-BF16/AMX or a bf16 GPU), scores both with
the same protocol and prints, per metric, the difference of the means beside the seed-to-seed
spread. Training and scoring are reproduce.py's, so the protocols are the results' own.

    python benchmarks/precision_parity.py --list
    python benchmarks/precision_parity.py ring8 grid25 --seeds 0,1 --jobs 2
    python benchmarks/precision_parity.py --all --size smoke      # every study in a minute

The verdict: with k seeds per side, the difference of the two means has the seeds' standard
deviation times sqrt(2/k), so "within the spread" is |difference| <= 2 * sqrt(2/k) * the pooled
seed std (about two standard errors). Rows go to OUT/NAME/parity.json; each side's runs and its
reproduce.py row are under OUT/NAME/fp32 and OUT/NAME/auto.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from reproduce import CELEBA, Entry, arguments, chosen, run_entry  # noqa: E402

from gankit.config import DEFAULT_PRESET  # noqa: E402

SIDES = {"fp32": "train.amp=none", "auto": "train.amp=auto"}

STUDIES = {
    # the laptop row of docs/results.md (a width-32 DCGAN) at its 2k vs 2k, half its 10,000 steps
    # so that both sides of two seeds fit an hour of two cores
    "celeba32": Entry(
        "celeba32-dcgan", [CELEBA[0], "train.steps=5000"], ("fid", "kid"), n=2000, gpu=False
    ),
    "ring8": Entry("ring8-wgan-gp", [], ("modes",), n=2500, gpu=False),
    "grid25": Entry("grid25-wgan-gp", [], ("modes",), n=2500, gpu=False),
    # a shortened budget (the preset trains 6,000 steps): class accuracy is near its top by then
    "mnist-cgan": Entry(
        "mnist-cgan",
        ["data.path=@/mnist", "train.steps=2000"],
        ("class_accuracy",),
        n=10_000,
        gpu=False,
    ),
    "demo": Entry(DEFAULT_PRESET, [], ("fid", "kid"), n=1000, gpu=False),  # 1,797 images
}


def compare(fp32: dict, auto: dict) -> dict:
    """Per metric: each side's mean and seed std, the difference, and whether it is within the
    seed-to-seed spread (None with one seed per side: no spread to compare with)."""
    out = {}
    k = len(fp32["seeds"])
    for key in [m for m in fp32["mean"] if m in auto["mean"] and not m.endswith("_std")]:
        a, b = fp32["mean"][key], auto["mean"][key]
        spreads = [fp32["std"].get(key), auto["std"].get(key)]
        diff = b - a if math.isfinite(a) and math.isfinite(b) else None
        if k < 2 or diff is None or None in spreads:
            pooled, within = None, None
        else:
            pooled = math.sqrt(statistics.fmean(s * s for s in spreads))
            within = abs(diff) <= 2 * math.sqrt(2 / k) * pooled
        out[key] = {"fp32": [a, spreads[0]], "auto": [b, spreads[1]], "difference": diff,
                    "pooled_seed_std": pooled, "within_spread": within}  # fmt: skip
    return out


def precisions(folder: Path, seeds) -> list[str]:
    """What each run says it trained in (its summary.json), e.g. 'bf16 (auto: this CPU has ...)'."""
    return [
        json.loads((folder / f"seed-{s}" / "summary.json").read_text())["precision"] for s in seeds
    ]


def run_study(name: str, entry: Entry, size: str, out: Path, root: Path, seeds, jobs: int = 1):
    rows, ran = {}, {}
    for side, setting in SIDES.items():
        rows[side] = run_entry(f"{name}/{side}", entry, size, out, root, seeds, "auto", jobs,
                               (setting,))  # fmt: skip
        ran[side] = precisions(out / name / side, seeds)
    result = {"study": name, "preset": entry.preset, "size": size, "seeds": list(seeds),
              "protocol": entry.protocol() if size == "full" else "smoke: digits, random features",
              "precision": ran, "train_seconds": {s: r["train_seconds"] for s, r in rows.items()},
              "metrics": compare(rows["fp32"], rows["auto"])}  # fmt: skip
    (out / name / "parity.json").write_text(json.dumps(result, indent=1))
    return result


def table(results: list[dict]) -> str:
    lines = ["| study | metric | fp32 (mean +- seed std) | auto | difference | within spread |",
             "|---|---|---|---|---|---|"]  # fmt: skip

    def cell(pair):
        mean, std = pair
        return f"{mean:.4g}" + (f" +- {std:.2g}" if std is not None else "")

    for r in results:
        for metric, m in r["metrics"].items():
            diff = "n/a" if m["difference"] is None else f"{m['difference']:+.3g}"
            lines.append(f"| {r['study']} | {metric} | {cell(m['fp32'])} | {cell(m['auto'])} | "
                         f"{diff} | {m['within_spread']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    args = arguments("runs/parity", "0,1", "comma-separated, the same on both sides").parse_args()
    names = chosen(args, STUDIES)
    seeds = [int(s) for s in args.seeds.split(",")]
    results = []
    for name in names:
        results.append(run_study(name, STUDIES[name], args.size, Path(args.out),
                                 Path(args.data_root), seeds, args.jobs))  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
    if results:
        print(table(results))


if __name__ == "__main__":
    main()
