"""The command line's grammar: one argparse sub-parser per command, the help users read."""

from __future__ import annotations

import argparse


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train a GAN and write a run directory")
    p.add_argument(
        "--preset", help="a named preset (see `gankit presets`); default: the embedded digits demo"
    )
    p.add_argument("--config", help="a YAML file merged over the preset")
    p.add_argument(
        "--data", help="data path (sets data.path): a folder/.zip of images or a dataset root"
    )
    p.add_argument("--out", help="run directory (default: runs/<preset>-<time>)")
    p.add_argument("--steps", type=int, help="generator steps (sets train.steps)")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any config key, e.g. --set loss.name=hinge (repeatable)",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out directory")
    p.add_argument("--nproc", type=int, default=1, metavar="N",
                   help="data-parallel over N processes (runs torchrun; one per GPU)")  # fmt: skip


def _sample_parser(sub) -> None:
    s = sub.add_parser("sample", help="draw samples from a run's generator")
    s.add_argument("run_dir")
    s.add_argument("--n", type=int, default=64)
    s.add_argument(
        "--out", required=True, help="FILE.png (grid or scatter) or FILE.npy (raw samples)"
    )
    s.add_argument("--checkpoint", default="latest", help="latest or a checkpoint path")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--class", dest="klass", type=int, default=None,
                   help="draw class K only (a class-conditional run)")  # fmt: skip
    s.add_argument("--code", action="append", default=[], metavar="NAME=VALUE",
                   help="pin an InfoGAN code, e.g. cat0=3 or c1=0.5 (repeatable)")  # fmt: skip
    s.add_argument("--traverse", default=None, metavar="CODE",
                   help="InfoGAN figure: rows = cat0 values, columns = CODE from -2 to 2")  # fmt: skip
    s.add_argument("--truncation", type=float, default=None, metavar="T",
                   help="BigGAN's truncation trick: noise components beyond +-T are drawn again")  # fmt: skip
    s.add_argument("--z", default=None, metavar="Z.npy",
                   help="explicit latents, float32 [N, z_dim] (--n is then N)")  # fmt: skip
    s.add_argument("--interpolate", type=int, default=None, metavar="K",
                   help="K slerp walks between random latents: --out walk.gif or walk.png")  # fmt: skip


def _use_parsers(sub) -> None:
    """export and nearest: shipping a generator, checking it is not copying."""
    x = sub.add_parser("export", help="export a run's generator: safetensors, onnx or torchscript")
    x.add_argument("run_dir")
    x.add_argument("--format", required=True, choices=["safetensors", "onnx", "torchscript", "hub"])
    x.add_argument("--out", required=True, help="the file to write, e.g. G.onnx (hub: a folder)")
    x.add_argument("--overwrite", action="store_true", help="replace existing output files")
    x.add_argument("--checkpoint", default="latest", help="latest, best or a checkpoint path")
    n = sub.add_parser(
        "nearest", help="memorisation check: samples beside their nearest training images"
    )
    n.add_argument("run_dir")
    n.add_argument("--data", default=None, help="training images (default: the run's data)")
    n.add_argument("--n", type=int, default=64, help="generated samples to check")
    n.add_argument("--k", type=int, default=4, help="neighbours shown per sample")
    n.add_argument("--out", required=True, help="nn.png; the distance plot goes beside it")
    n.add_argument("--space", default=None,
                   help="inception (the FID network: needs make inception; the default when "
                        "installed, else pixel), pixel, or another feature network")  # fmt: skip
    n.add_argument("--checkpoint", default="latest", help="latest, best or a checkpoint path")
    n.add_argument("--seed", type=int, default=0)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gankit", description="Train, sample and report GANs.")
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                    help="import a module that registers your own components first (repeatable)")  # fmt: skip
    sub = ap.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    _sample_parser(sub)
    _translate_parser(sub)
    _score_parsers(sub)
    _eval_parser(sub)
    _use_parsers(sub)
    _run_and_study_parsers(sub)
    return ap


def _translate_parser(sub) -> None:
    t = sub.add_parser(
        "translate", help="translate images with a translation run (CycleGAN, StarGAN v2)"
    )
    t.add_argument("run_dir")
    t.add_argument("--in", dest="inp", required=True,
                   help="a folder of images, one image, or FILE.npy (float32 [N, C, H, W] in [-1, 1])")  # fmt: skip
    t.add_argument("--to", required=True, help="the target domain (a name the run was trained on)")
    t.add_argument("--out", required=True, help="same kind as --in: a folder, an image or FILE.npy")
    t.add_argument("--from", dest="src", default=None,
                   help="the inputs' domain (default: the other of two domains)")  # fmt: skip
    t.add_argument("--ref", default=None,
                   help="reference images of the target domain whose style to copy (StarGAN v2)")  # fmt: skip
    t.add_argument("--seed", type=int, default=0, help="noise seed of the style (StarGAN v2)")
    t.add_argument("--checkpoint", default="latest", help="latest, best or a checkpoint path")
    t.add_argument("--overwrite", action="store_true", help="replace existing output files")


def _eval_parser(sub) -> None:
    e = sub.add_parser(
        "eval",
        help="evaluate a run's generator (FID, KID, IS, precision/recall, modes)",
        formatter_class=MetricsHelp,
    )
    e.add_argument("run_dir")
    e.add_argument("--metrics", default=None, help="comma-separated names of: ")
    e.add_argument(
        "--n", type=int, default=None, help="samples per side (default 10000 images, 2500 toy)"
    )
    e.add_argument("--checkpoint", default="last", help="last, best or a checkpoint path")
    e.add_argument(
        "--extractor",
        default="inception",
        help="feature network (inception; random_conv for tests)",
    )
    e.add_argument(
        "--json", action="store_true", help="print one JSON object (metric -> value) on stdout"
    )
    e.add_argument(
        "--real",
        default=None,
        help="score against this reference instead of the training data: a folder or zip of "
        "images, an .npy/.npz array or a statistics .npz (mu, sigma)",
    )


def _run_and_study_parsers(sub) -> None:
    """report, presets, sweep and demo."""
    r = sub.add_parser("report", help="re-render report.md/.html, progress.gif and losses.png")
    r.add_argument("run_dir")
    sub.add_parser("presets", help="list presets")
    w = sub.add_parser(
        "sweep", help="a grid of runs (losses x nets x settings x seeds), then one summary"
    )
    w.add_argument("spec", help="SPEC.yaml or a bundled sweep: d-steps, created-equal")
    w.add_argument("--out", help="sweep directory (default: runs/sweeps/<name>-<size>)")
    w.add_argument("--size", help="a named scale of the sweep, e.g. laptop or full")
    w.add_argument("--jobs", type=int, default=1, help="runs at a time, as separate processes")
    w.add_argument(
        "--ray", metavar="ADDRESS", help="run on a Ray cluster (auto, HOST:PORT) or 'local'"
    )
    w.add_argument(
        "--dry-run",
        action="store_true",
        help="list the runs and check their configs, train nothing",
    )
    d = sub.add_parser("demo", help="a theory check: writes a figure, prints its numbers")
    d.add_argument("name", help="optimal_d, js_vs_em, critic_distance or trajectory_1d")
    d.add_argument("--out", default="runs/demos", help="folder for the figure")
    d.add_argument(
        "--quick", action="store_true", help="smaller, faster settings (as the tests use)"
    )


class MetricsHelp(argparse.HelpFormatter):
    """--metrics' help lists the metric registry, imported only when help is shown (the registry
    pulls in torch, which every other command start-up avoids until it needs it)."""

    def _get_help_string(self, action):
        text = super()._get_help_string(action)
        if action.dest != "metrics":
            return text
        from gankit.metrics import METRICS

        return (
            text + ", ".join(METRICS.names()) + " (default: fid,kid,pr for images, modes for toys)"
        )


def _score_parsers(sub) -> None:
    sides = "a folder or .zip of images, an .npy/.npz array, a run directory or a stats .npz"
    s = sub.add_parser(
        "score", help="FID/KID/... between any two sets of images", formatter_class=MetricsHelp
    )
    s.add_argument("a", help=f"the reference side: {sides}")
    s.add_argument("b", help="the side to score, the same kinds")
    s.add_argument("--metrics", default="fid,kid", help="comma-separated names of: ")
    s.add_argument("--n", type=int, default=10_000, help="images per side (at most)")
    s.add_argument("--extractor", default="inception", help="feature network")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    c = sub.add_parser("compare", help="runs side by side in one HTML page")
    c.add_argument("runs", nargs="+", help="two or more run directories")
    c.add_argument("--out", required=True, help="compare.html")
    t = sub.add_parser("stats", help="FID reference statistics (pytorch-fid's mu/sigma .npz)")
    t.add_argument("path", help=sides)
    t.add_argument("--out", required=True, help="FILE.npz")
    t.add_argument("--n", type=int, default=50_000, help="images used (at most)")
    t.add_argument("--extractor", default="inception", help="feature network")
