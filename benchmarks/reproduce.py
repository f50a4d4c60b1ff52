"""One command per result of docs/results.md: train every seed, evaluate with the result's
protocol, write the row (JSON) and copy the pictures.

    python benchmarks/reproduce.py --list
    python benchmarks/reproduce.py celeba-assignment [--size full] [--seeds 0,1,2] [--device cuda]
    python benchmarks/reproduce.py --all --size smoke        # every entry end to end in minutes
    python benchmarks/reproduce.py grid25 --jobs 2           # CPU entries: seeds side by side
    python benchmarks/reproduce.py stackedmnist-cpu --seeds 3 --set regularizers.r1.weight=3
    python benchmarks/reproduce.py celeba64-cpu-2h --stage train    # train now (one thread) ...
    python benchmarks/reproduce.py celeba64-cpu-2h --stage score    # ... score later, both cores

``--size full`` reads the real data under --data-root (default ../shared/data) and uses the
standard FID network; ``--size smoke`` trains a few steps of the same presets on the embedded
digits (same resolution and channels) and scores them with the random feature network, so every
entry's config, training, evaluation and output path stay tested (tests/test_reproduce.py).
Rows go to OUT/NAME/row.json: metric mean and std over the seeds, the protocol, the runs' own
training time (summary.json: data loading and scoring not counted). Each seed's scores are kept
in OUT/NAME/seed-S.scores.json, so a score stage that adds seeds or was stopped half-way scores
only what is new.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import torch

from gankit.app import train
from gankit.config import preset_dict
from gankit.metrics.evaluate import evaluate, reference_data
from gankit.run.checkpoint import fingerprint
from gankit.run.load import build_generator, latent_of, load_checkpoint
from gankit.run.rundir import RunDir, write_text_atomic
from gankit.use.sample import generator_sampler

CIFAR = "cifar10/cifar10-jpg.zip"
CELEBA = ["data.path=@/celeba/img_align_celeba", "data.hflip=true"]
# data.name=folder starts from the folder's defaults: the preset's 32x32 and flips are set again
CIFAR_TRAIN = [f"data.path=@/{CIFAR}", "data.name=folder", "data.subdir=train",
               "data.resolution=32", "data.hflip=true"]  # fmt: skip
# issue 27's CPU recipe on top of the preset: EMA of G, lr decayed over the second half of the
# steps, no in-training FID; each entry adds its steps and time budget
CIFAR_CPU = [*CIFAR_TRAIN, "model.ema=0.999", "eval.every=0", "optim.lr_decay=linear",
             "optim.decay_from=0.5", "log.checkpoint_every=2500", "log.keep_checkpoints=10"]  # fmt: skip
CIFAR_DIFFAUG = [*CIFAR_CPU, "regularizers.diffaugment.p=1"]  # the best D change of stop 38


@dataclass
class Entry:
    """A result: the runs (a preset and --set overrides, at the full size) and its protocol."""

    preset: str
    sets: list[str] = field(default_factory=list)
    metrics: tuple[str, ...] = ("fid", "kid")
    n: int = 10_000  # generated samples (and real ones, but for reference_n)
    reference: list[str] = field(default_factory=list)  # data overrides of the real side
    seeds: tuple[int, ...] = (0,)
    published: str = ""
    gpu: bool = True

    def protocol(self) -> str:
        if self.metrics == ("modes",):
            return f"modes, high-quality share (3 std) and reverse KL of {self.n} samples"
        if self.metrics == ("stacked_modes",):
            return (f"modes of 1,000 and KL to uniform of {self.n} samples, each channel's digit "
                    f"read by gankit's MNIST classifier")  # fmt: skip
        ref = ", ".join(self.reference) or "the training images"
        return f"{', '.join(self.metrics)} of {self.n} samples vs {self.n} real ({ref})"


def cifar_dcgan_cpu(sets: list[str]) -> Entry:
    """An issue-27 CIFAR-10 row: cifar10-dcgan with ``sets``, one seed, FID/KID vs the test set."""
    return Entry("cifar10-dcgan", sets, ("fid", "kid"), reference=["subdir=test"], gpu=False,
                 published="StudioGAN DCGAN 51.5 after its first GPU-hour")  # fmt: skip


def celeba_cpu_2h(steps: int, checkpoint_every: int) -> Entry:
    """Issue 27's row 3 recipe: celeba64-cpu + DiffAugment, lr decayed over the second half of
    ``steps``, two hours of one core, 10k vs 10k; ``steps`` is what the core reaches in them."""
    sets = [*CELEBA, "regularizers.diffaugment.p=1", "optim.lr_decay=linear",
            "optim.decay_from=0.5", f"train.steps={steps}", "train.max_minutes=120",
            "train.channels_last=true", f"log.checkpoint_every={checkpoint_every}",
            "log.keep_checkpoints=20"]  # fmt: skip
    return Entry("celeba64-cpu", sets, gpu=False,
                 published="(ours) issue 27's goal: FID <= 30 at 10k/10k in 2 CPU-hours")  # fmt: skip


ENTRIES = {
    "celeba-assignment": Entry(
        "celeba64-wgan-gp", ["data.path=@/celeba/img_align_celeba", "data.hflip=true"],
        published="WGAN-GP on CelebA 64x64 ~30 (Are GANs created equal); goal <= 25"),
    "anime-dcgan": Entry("anime64-dcgan", ["data.path=@/anime"], published="seed 003's model"),
    "anime-wgan": Entry("anime64-wgan", ["data.path=@/anime"], published="seed 002's comparison"),
    "anime-wgan-gp": Entry("anime64-wgan-gp", ["data.path=@/anime"], published="seed 002's comparison"),
    "cifar10-dcgan": Entry("cifar10-dcgan", CIFAR_TRAIN, ("fid",), reference=["subdir=test"],
                           seeds=(0, 1, 2), published="StudioGAN DCGAN 50.3 (10k vs test)"),
    # issue 27's row 1: 100 minutes of both cores (two threads), EMA of G, lr decayed linearly
    # over the second half of the steps the budget is expected to reach (3.5 steps/s); no
    # in-training FID (the preset's 10k every 5,000 steps: an hour of Inception each on 2 cores)
    "cifar10-dcgan-cpu": cifar_dcgan_cpu([*CIFAR_CPU, "train.steps=21000", "train.max_minutes=100"]),
    # the same recipe over the whole 2-hour budget: NHWC convolutions (1.10x, 4.4 steps/s) and
    # 25,500 steps; it scored no better than the 100-minute one (docs/results.md)
    "cifar10-dcgan-cpu-25500": cifar_dcgan_cpu(
        [*CIFAR_CPU, "train.steps=25500", "train.max_minutes=120", "train.channels_last=true"]),
    # the earlier row (stop 26): 6,589 steps of one shared thread, EMA, no decay
    "cifar10-dcgan-ema-6589": cifar_dcgan_cpu([*CIFAR_TRAIN, "model.ema=0.999", "train.steps=6589"]),
    # issue 27's attempts at FID <= 45 (stop 38), bf16 where the CPU has it (train.amp=auto):
    # SN + hinge in D (stopped at step 6,000: far behind the BN runs in its samples); layer
    # norm in D (Miyato et al. 2018: 33.9 against BN's 56.3 for the standard CNN); DiffAugment
    # on the BN recipe. The last two ran side by side, one thread each, 70 min at most
    "cifar10-dcgan-sn-cpu": cifar_dcgan_cpu(
        [*CIFAR_CPU, "model.discriminator.norm=none", "loss.name=hinge",
         "regularizers.spectral_norm.power_iterations=1", "train.steps=34000",
         "train.max_minutes=120"]),
    "cifar10-dcgan-ln-cpu": cifar_dcgan_cpu(
        [*CIFAR_CPU, "model.discriminator.norm=layer", "train.steps=15000", "train.max_minutes=70"]),
    "cifar10-dcgan-diffaug-cpu": cifar_dcgan_cpu(
        [*CIFAR_DIFFAUG, "train.steps=15000", "train.max_minutes=70"]),
    # stop 39, side by side on one thread each, 85 min at most: is the DiffAugment run held back
    # by G's size (width 128: 3.45M parameters; StudioGAN's DCGAN G about 3.8M) or by its number
    # of steps? Steps: 19,000 scored FID 46.35, the wide G 61.56 from the 10,000 it had time for
    "cifar10-dcgan-g128-diffaug-cpu": cifar_dcgan_cpu(
        [*CIFAR_DIFFAUG, "model.generator.width=128", "train.steps=10000", "train.max_minutes=85"]),
    "cifar10-dcgan-diffaug-19k-cpu": cifar_dcgan_cpu(
        [*CIFAR_DIFFAUG, "train.steps=19000", "train.max_minutes=85"]),
    # stop 40: the 19,000-step recipe as long as a session leaves room for (22,000 steps, about
    # 83 min of one thread beside a second seed), seeds 0 and 1 side by side: FID 44.66 and
    # 42.93 from 90 min of one core each, issue 27's goal (<= 45 in 2 h on the 2 cores); seed 2
    # (stop 46, a core twice as fast: 43 min) 47.47, so 45.0 +- 2.3 over three seeds
    "cifar10-dcgan-diffaug-22k-cpu": cifar_dcgan_cpu(
        [*CIFAR_DIFFAUG, "train.steps=22000", "train.max_minutes=100"]),
    # issue 27's second row: StudioGAN's plain setting (no EMA, constant lr, no DiffAugment,
    # bf16 where the CPU has it) for the 22,000 steps of the row above, one thread (stops 47-48):
    # 41 min a seed, FID 112.69, 164.98, 47.80 (two seeds collapse before the end)
    "cifar10-dcgan-plain-22k-cpu": cifar_dcgan_cpu(
        [*CIFAR_TRAIN, "eval.every=0", "train.steps=22000", "train.max_minutes=100",
         "log.checkpoint_every=2500", "log.keep_checkpoints=10"]),
    "cifar10-wgan-gp": Entry("cifar10-wgan-gp", CIFAR_TRAIN, ("fid",), reference=["subdir=test"],
                             seeds=(0, 1, 2), published="StudioGAN 25.9 (10k vs test); mimicry 22.3 (50k/50k)"),
    "cifar10-sngan": Entry("cifar10-sngan", CIFAR_TRAIN, ("fid",), reference=["subdir=test"],
                           seeds=(0, 1, 2), published="mimicry SNGAN 16.8 (50k/50k)"),
    "cifar10-r3gan": Entry("cifar10-r3gan", CIFAR_TRAIN, ("fid",), reference=["subdir=test"],
                           seeds=(0, 1, 2), published="R3GAN paper 1.96 (full width, 50k/50k)"),
    "stackedmnist-dcgan": Entry("stackedmnist-dcgan", ["data.path=@/mnist"], ("stacked_modes",),
                                n=26_000, seeds=(0, 1, 2), published="PacDCGAN 1000 modes, KL 0.06"),
    # the earlier row of docs/results.md: 3 seeds, 6,000 steps each on one CPU thread (3 on 2 cores)
    "stackedmnist-dcgan-cpu": Entry(
        "stackedmnist-dcgan", ["data.path=@/mnist", "regularizers.minibatch_stddev.group=4",
                               "optim.lr_decay=linear", "optim.decay_from=0.5", "train.steps=6000"],
        ("stacked_modes",), n=26_000, seeds=(0, 1, 2), gpu=False,
        published="PacDCGAN2 1000 modes, KL 0.06; VEEGAN's DCGAN 99 modes, KL 3.4"),
    # the row of docs/results.md: minibatch discrimination and R1, an hour per seed, two seeds
    # side by side, one thread each (stop 42, bf16)
    "stackedmnist-cpu": Entry(
        "stackedmnist-cpu", ["data.path=@/mnist", "train.max_minutes=60"], ("stacked_modes",),
        n=26_000, seeds=(0, 1, 2), gpu=False,
        published="PacDCGAN2 1000 modes, KL 0.06; VEEGAN's DCGAN 99 modes, KL 3.4"),
    # the rows before R1: stop 28 (--jobs 3 on an AVX2 machine, constant lr) and stop 41 (bf16)
    "stackedmnist-mbd-cpu": Entry(
        "stackedmnist-cpu", ["data.path=@/mnist", "train.max_minutes=60", "regularizers.r1=null"],
        ("stacked_modes",), n=26_000, seeds=(0, 1, 2), gpu=False,
        published="PacDCGAN2 1000 modes, KL 0.06; VEEGAN's DCGAN 99 modes, KL 3.4"),
    "ring8": Entry("ring8-wgan-gp", [], ("modes",), n=2500, seeds=(0, 1, 2, 3, 4), gpu=False,
                   published="PacGAN4 8/8"),
    "grid25": Entry("grid25-wgan-gp", [], ("modes",), n=2500, seeds=(0, 1, 2, 3, 4), gpu=False,
                    published="PacGAN4 24.8/25, 93.6% high quality"),
    # CPU rows at a wall-clock budget (train.max_minutes) and 2,000 vs 2,000: what one core of
    # an AVX2 machine gives; the budgets fit two such pipelines side by side in a session
    "celeba-assignment-cpu": Entry(
        "celeba64-wgan-gp", [*CELEBA, "train.max_minutes=33"], n=2000, gpu=False,
        published="(ours) the assignment's own settings at the budget of celeba64-cpu"),
    "celeba64-cpu": Entry("celeba64-cpu", [*CELEBA, "train.max_minutes=33"], n=2000, gpu=False,
                          published="(ours) the fastest 64x64 CelebA recipe gankit has for a CPU"),
    # the assignment beside it at the same protocol: lecture 000's settings for two hours of one
    # core (~7 s per G step in bf16: ~1,000 G steps), checkpoints for the FID-against-time curve
    "celeba-assignment-2h": Entry(
        "celeba64-wgan-gp", [*CELEBA, "train.max_minutes=120", "log.sample_every=50",
                             "log.checkpoint_every=100", "log.keep_checkpoints=20"],
        gpu=False, published="(ours) lecture 000's WGAN-GP for 2 CPU-hours"),
    # issue 27's row 3 at its own protocol: two hours of one core (bf16 where the CPU has it)
    # with the CIFAR-10 row's recipe on top (DiffAugment, lr decayed over the second half);
    # ~2.85 steps/s on an AVX512-BF16 core beside another job (NHWC: +3%), so 19,000 steps fit
    "celeba64-cpu-2h": celeba_cpu_2h(19_000, checkpoint_every=1000),
    # the same recipe with its schedule sized to stop 47's faster core: ~5 steps/s of one
    # thread beside another job, so 34,000 steps fit the two hours (111 min: FID 28.74, 31.58)
    "celeba64-cpu-2h-34k": celeba_cpu_2h(34_000, checkpoint_every=2000),
    # seed 002's comparison at equal CPU time: 30 minutes of one core each, all 8,000 images on
    # each side (issue 27's row 4); samples often enough for the slowest (WGAN-GP: 492 G steps
    # on stop 45's core, ~270 on stop 44's)
    **{f"anime-{kind}-cpu": Entry(f"anime64-{kind}", ["data.path=@/anime", "train.max_minutes=30",
                                                      "log.sample_every=25"],
                                  n=8000, gpu=False, published="seed 002's comparison, equal CPU time")
       for kind in ("dcgan", "wgan", "wgan-gp")},
    "celeba-laptop": Entry("celeba32-dcgan", ["data.path=@/celeba/img_align_celeba"], n=2000,
                           gpu=False, published="(ours only: what 2 CPU cores give in an hour)"),
}  # fmt: skip

#: the smoke size: a few steps of the same preset on the embedded digits, cheap features
SMOKE = ["train.steps=2", "train.batch_size=8", "model.generator.width=8", "model.z_dim=8",
         "model.discriminator.width=8", "log.every=2", "log.sample_every=2",
         "log.checkpoint_every=2", "eval.every=0", "train.device=cpu"]  # fmt: skip


def smoke_sets(entry: Entry) -> list[str]:
    data = preset_dict(entry.preset)["data"]
    if data["name"] in ("ring", "grid", "gaussian1d"):
        return ["train.steps=4", "log.every=2", "log.checkpoint_every=4", "train.device=cpu"]
    resolution, channels = data.get("resolution", 32), data.get("channels", 1)
    labels = ["data.labels=true"] if data.get("labels") else []  # a conditional model needs them
    return ["data.name=digits", f"data.resolution={resolution}", f"data.channels={channels}",
            *labels, *SMOKE]  # fmt: skip


def run_entry(name: str, entry: Entry, size: str, out: Path, root: Path, seeds, device: str,
              jobs: int = 1, extra: tuple[str, ...] = (), stage: str = "all"):  # fmt: skip
    """Train and evaluate every seed (``jobs`` seeds side by side); the row. ``extra`` overrides
    apply at both sizes (e.g. a precision to compare). ``stage`` "train" only trains (no row is
    written); "score" scores the runs an earlier "train" left in OUT/NAME/seed-S."""
    smoke = size == "smoke"
    sets = smoke_sets(entry) if smoke else [s.replace("@", str(root), 1) for s in entry.sets]
    sets += [] if smoke or device == "auto" else [f"train.device={device}"]
    sets += extra
    work = [SeedJob(entry, [*sets, f"train.seed={s}"], out / name / f"seed-{s}", root, smoke, jobs,
                    stage) for s in seeds]  # fmt: skip
    if stage == "score":  # checked here: an exit in a worker breaks the pool
        untrained = [str(j.run_dir) for j in work if not j.trained()]
        if untrained:
            raise SystemExit(f"nothing to score in {', '.join(untrained)}: train first "
                             "(--stage train, the same --out)")  # fmt: skip
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            done = list(pool.map(run_seed, work))
    else:
        done = [run_seed(w) for w in work]
    seconds = [d[1] for d in done]
    row = summarise(name, entry, size, seeds, [d[0] for d in done], seconds)
    if stage == "train":
        return row
    best = out / name / f"seed-{seeds[0]}" / "best.png"
    if best.is_file():
        shutil.copy(best, out / name / "best.png")
    (out / name / "row.json").write_text(json.dumps(row, indent=1))
    return row


@dataclass
class SeedJob:
    """One seed of an entry, as a worker process receives it."""

    entry: Entry
    sets: list[str]  # the seed's own train.seed included
    run_dir: Path
    root: Path
    smoke: bool
    jobs: int
    stage: str = "all"

    def trained(self) -> bool:
        return RunDir(self.run_dir).checkpoint_file("latest").is_file()


def run_seed(job: SeedJob) -> tuple[dict, float | None]:
    """One seed: train, then score (as ``job.stage`` says); (scores, the run's training seconds)."""
    if job.jobs > 1:  # the cores are shared between the seeds
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // job.jobs))
    if job.stage != "score":
        train(job.entry.preset, sets=job.sets, out=str(job.run_dir), overwrite=True)
    scores = {} if job.stage == "train" else score_once(job.run_dir, job.entry, job.smoke, job.root)
    return scores, trained_seconds(job.run_dir)


def trained_seconds(run_dir: Path) -> float | None:
    """The training time a finished run recorded; None for one stopped before its summary."""
    run = RunDir(run_dir)
    return run.read_json(run.summary).get("train_seconds") if run.summary.is_file() else None


def scored_n(entry: Entry, smoke: bool) -> int:
    """Samples per side that ``score`` uses: the entry's n, at most 64 at smoke size."""
    return min(64, entry.n) if smoke else entry.n


def score_once(run_dir: Path, entry: Entry, smoke: bool, root: Path) -> dict:
    """``score``, kept beside the run (OUT/NAME/seed-S.scores.json): a score stage stopped after
    some seeds, or one that adds seeds to a row, never scores a finished seed again (a 10k FID
    costs a CPU half an hour). Keyed by the latest checkpoint's checksum and the protocol, so a
    retrained run is scored afresh."""
    run, path = RunDir(run_dir), run_dir.with_name(f"{run_dir.name}.scores.json")
    key = {"checkpoint_sha256": fingerprint(run.checkpoint_file("latest")),
           "protocol": entry.protocol(), "smoke": smoke}  # fmt: skip
    saved = run.read_json(path)
    if saved.get("key") == key and isinstance(saved.get("scores"), dict):
        print(f"{run_dir}: scored before, kept ({path.name})", flush=True)
        return saved["scores"]
    scores = score(run_dir, entry, smoke, root)
    write_text_atomic(path, json.dumps({"key": key, "scores": scores}, indent=1) + "\n")
    return scores


def score(run_dir: Path, entry: Entry, smoke: bool, root: Path) -> dict:
    state, cfg = load_checkpoint(RunDir(run_dir), "latest")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = build_generator(state, cfg).to(device)
    data, key = reference_data(cfg.data, [] if smoke else entry.reference)  # CIFAR-10: test
    metrics = ["fid", "kid"] if smoke and data.is_image else list(entry.metrics)
    metrics = ["modes"] if not data.is_image else metrics
    n = scored_n(entry, smoke)
    with torch.no_grad():
        # the real side's features are cached once per dataset and n (not in smoke runs)
        cache = {"cache_root": None} if smoke else {"dataset_key": key}
        return evaluate(data, generator_sampler(G, latent_of(state, cfg)), metrics, n,
                        "random_conv" if smoke else "inception", **cache)  # fmt: skip


def spread(values: list[float]) -> float | None:
    """The seeds' standard deviation; None where a seed scored inf (reverse KL of no samples)."""
    if not all(math.isfinite(v) for v in values):
        return None
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(name, entry, size, seeds, scores, seconds) -> dict:
    keys = [k for k in scores[0] if all(k in s for s in scores)]
    total = None if None in seconds else round(sum(seconds), 1)
    mean = {k: statistics.fmean(s[k] for s in scores) for k in keys}
    std = {k: spread([s[k] for s in scores]) for k in keys}
    return {"result": name, "preset": entry.preset, "size": size, "seeds": list(seeds),
            "mean": mean, "std": std, "per_seed": scores, "train_seconds": total,
            "protocol": entry.protocol() if size == "full" else "smoke: digits, random features",
            "published": entry.published,
            "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}  # fmt: skip


def arguments(out: str, seeds: str | None, seeds_help: str) -> argparse.ArgumentParser:
    """The command line of this script and of those built on its entries (precision_parity.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--size", choices=["smoke", "full"], default="full")
    ap.add_argument("--seeds", default=seeds, help=seeds_help)
    ap.add_argument("--jobs", type=int, default=1, help="seeds trained side by side (CPU cores)")
    ap.add_argument("--data-root", default=str(Path(__file__).parents[2] / "shared" / "data"))
    ap.add_argument("--out", default=out)
    return ap


def chosen(args, entries: dict[str, Entry]) -> list[str]:
    """The entry names asked for; none after --list has printed them all. Exits on an unknown."""
    if args.list:
        for name, e in entries.items():
            print(f"{name:20s} {e.preset:20s} {'GPU' if e.gpu else 'CPU'}  {e.protocol()}")
        return []
    names = list(entries) if args.all else args.names
    unknown = [n for n in names if n not in entries]
    if unknown or not names:
        raise SystemExit(f"name one or more of {', '.join(entries)} (or --all); unknown: {unknown}")
    return names


def main(argv: list[str] | None = None) -> None:
    ap = arguments("runs/reproduce", None, "comma-separated (default: the entry's)")
    ap.add_argument("--device", default="auto")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an override on top of the entry's, at either size (repeatable)",
    )
    ap.add_argument(
        "--stage",
        choices=["all", "train", "score"],
        default="all",
        help="train only, or score the runs a train stage left under --out",
    )
    args = ap.parse_args(argv)
    names = chosen(args, ENTRIES)
    for name in names:
        entry = ENTRIES[name]
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(entry.seeds)
        seeds = seeds[:1] if args.size == "smoke" else seeds
        row = run_entry(name, entry, args.size, Path(args.out), Path(args.data_root), seeds,
                        args.device, args.jobs, tuple(args.set), args.stage)  # fmt: skip
        print(json.dumps({k: row[k] for k in ("result", "size", "mean", "std", "train_seconds")}),
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
