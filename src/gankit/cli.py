"""Command line: ``gankit train | sample | translate | eval | nearest | export | report | presets
| sweep | demo``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from pathlib import Path

from gankit.errors import GankitError, Interrupted, Terminated, interrupted, out_of_memory


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
    _score_parsers(sub)
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
    _use_parsers(sub)
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
    return ap


def train_flags(args) -> dict:
    return {
        k: v for k, v in (("data.path", args.data), ("train.steps", args.steps)) if v is not None
    }


def check_train_config(args) -> None:
    """A new run's config resolved with the torch-free config module: a typo is reported
    before torch is imported (seconds on a laptop) and before torchrun starts N processes."""
    from gankit import config

    if not args.resume:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the real resolve says them once
            config.resolve(args.preset, args.config, train_flags(args), args.sets)


def cmd_train(args) -> None:
    check_train_config(args)
    flags = train_flags(args)
    from gankit.app import train

    train(
        preset=args.preset,
        config_file=args.config,
        flags=flags,
        sets=args.sets,
        out=args.out,
        overwrite=args.overwrite,
        resume=args.resume,
    )


def cmd_sample(args) -> None:
    from gankit.use.sample import Choice, read_noise, sample_to_file

    noise = read_noise(args.z) if args.z else None
    choice = Choice(klass=args.klass, codes=parse_codes(args.code), traverse=args.traverse,
                    truncation=args.truncation, noise=noise, interpolate=args.interpolate)  # fmt: skip
    path = sample_to_file(
        args.run_dir, n=args.n, out=args.out, which=args.checkpoint, seed=args.seed, choice=choice
    )
    print(f"gankit: wrote samples to {path}", file=sys.stderr)


def cmd_translate(args) -> None:
    from gankit.use.translate import translate_files

    path = translate_files(args.run_dir, args.inp, args.to, args.out, ref=args.ref,
                           seed=args.seed, which=args.checkpoint, src=args.src,
                           overwrite=args.overwrite)  # fmt: skip
    print(f"gankit: wrote translations to {path}", file=sys.stderr)


def parse_codes(items: list[str]) -> dict[str, float]:
    codes = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            codes[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise GankitError(f"--code expects NAME=NUMBER (e.g. cat0=3 or c1=0.5), got '{item}'")
    return codes


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


def cmd_compare(args) -> None:
    from gankit.use.compare import write_compare

    path = write_compare(args.runs, args.out)
    print(f"gankit: wrote {path}", file=sys.stderr)


def cmd_score(args) -> None:
    import json

    from gankit.metrics.evaluate import parse_metrics
    from gankit.use.score import score

    if not 2 <= args.n <= 10**6:
        raise GankitError(f"--n must be in [2, 1e6], got {args.n}")
    result = score(args.a, args.b, parse_metrics(args.metrics), args.n, args.extractor)
    if args.json:
        print(json.dumps(result), flush=True)
        return
    n = result["n"]
    print(f"n: {n['a']} (a) vs {n['b']} (b)")
    for key, value in result["metrics"].items():
        print(f"  {key:12s} {value:.6g}", flush=True)


def cmd_stats(args) -> None:
    from gankit.use.score import write_stats

    facts = write_stats(args.path, args.out, args.n, args.extractor)
    print(f"gankit: wrote mu [{facts['dim']}] and sigma of {facts['n']} images to {facts['out']}",
          file=sys.stderr)  # fmt: skip


def cmd_eval(args) -> None:
    import json

    from gankit.errors import WriteError
    from gankit.metrics.evaluate import evaluate_run, parse_metrics
    from gankit.run.rundir import RunDir

    if args.n is not None and not 2 <= args.n <= 10**6:
        raise GankitError(
            f"--n must be in [2, 1e6] (FID is usually reported at 10k or 50k), got {args.n}"
        )
    names = parse_metrics(args.metrics) if args.metrics else None
    if args.real:
        from gankit.use.score import evaluate_against

        report = evaluate_against(args.run_dir, args.real, names, args.n, args.checkpoint,
                                  args.extractor)  # fmt: skip
    else:
        report = evaluate_run(args.run_dir, names, args.n, args.checkpoint, args.extractor)
    if args.json:
        print(json.dumps(report["metrics"], allow_nan=False), flush=True)
    else:
        n = report["n"]
        print(f"step {report['step']}, n: {n['real']} real, {n['fake']} generated, "
              f"{report['checkpoint']}")  # fmt: skip
        for key, value in report["metrics"].items():
            shown = (
                f"null (not finite: {report['non_finite'][key]})"
                if value is None
                else f"{value:.6g}"
            )
            print(f"  {key:12s} {shown}", flush=True)
    run = RunDir(args.run_dir)
    try:  # the results are on screen first: minutes of feature extraction are never lost
        run.write_json(run.path / "eval.json", report)
    except WriteError as exc:
        raise GankitError(f"{exc}; the results are printed above") from None


def cmd_export(args) -> None:
    from gankit.use.export import export

    facts = export(args.run_dir, args.format, args.out, args.checkpoint, args.overwrite)
    check = f" (checked: max |diff| {facts['max_abs_diff']:.2g})" if "max_abs_diff" in facts else ""
    print(f"gankit: wrote {facts['path']}{check}", file=sys.stderr)


def cmd_nearest(args) -> None:
    from gankit.use.nearest import nearest_to_file

    facts = nearest_to_file(args.run_dir, data_path=args.data, n=args.n, k=args.k, out=args.out,
                            space=args.space, which=args.checkpoint, seed=args.seed)  # fmt: skip
    print(facts["summary"])
    print(f"gankit: wrote {facts['grid']} and {facts['plot']}", file=sys.stderr)


def cmd_report(args) -> None:
    from gankit.run.report import render
    from gankit.run.rundir import RunDir

    run = RunDir.existing(args.run_dir)
    render(run)
    print(f"gankit: wrote {run.report}, report.html, {run.gif.name}, {run.losses.name}",
          file=sys.stderr)  # fmt: skip


def cmd_presets(args) -> None:
    from gankit.config import DEFAULT_PRESET, preset_dict, preset_names

    for name in preset_names():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:18s} {preset_dict(name).get('description', '')}{mark}")


def cmd_sweep(args) -> None:
    from gankit.sweep import check_runs, execute, load_spec, read_rows, write_summary

    spec = load_spec(args.spec).at_size(args.size)
    runs = spec.runs()
    check_runs(spec, runs)
    name = Path(args.spec).stem
    out = Path(args.out or f"runs/sweeps/{name}-{args.size or 'default'}")
    print(f"gankit: sweep {name}: {len(runs)} runs into {out}", file=sys.stderr)
    if args.dry_run:
        for run in runs:
            print(f"{run.name}: {' '.join(run.sets)}")
        return
    if args.jobs < 1:
        raise GankitError(f"--jobs must be >= 1, got {args.jobs}")
    out.mkdir(parents=True, exist_ok=True)
    execute(out, runs, spec, args.jobs, args.ray, progress=lambda m: print(m, file=sys.stderr))
    command = " ".join(["gankit sweep", args.spec] + ([f"--size {args.size}"] if args.size else []))
    path = write_summary(out, read_rows(out, runs), spec.description or name, command)
    print(path.read_text())
    print(f"gankit: wrote {path}", file=sys.stderr)


def cmd_demo(args) -> None:
    import json

    from gankit.demos import DEMOS

    demo = DEMOS.build(args.name)
    numbers = demo.run(Path(args.out), quick=args.quick)
    print(json.dumps(numbers, indent=1))
    print(f"gankit: wrote {Path(args.out) / (args.name + '.png')}", file=sys.stderr)


def _warning(message, category, filename, lineno, file=None, line=None):
    return f"gankit: warning: {message}\n"


def _terminated(signum, frame):
    raise Terminated("by SIGTERM; no half-written file was left behind")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    if args.command == "train" and args.nproc != 1 and "WORLD_SIZE" not in os.environ:
        try:  # a config error is one line here, not N ranks' tracebacks under torchrun
            check_train_config(args)
        except GankitError as exc:
            print(f"gankit: error: {exc}", file=sys.stderr)
            return exc.exit_code
        from gankit.launcher import launch

        return launch(argv, args.nproc, args.out or args.resume)
    warnings.formatwarning = _warning
    previous = _on_sigterm(_terminated)  # training installs its own handler while it runs
    try:
        from gankit.plugins import load

        load(args.imports)
        {
            "train": cmd_train,
            "sample": cmd_sample,
            "translate": cmd_translate,
            "score": cmd_score,
            "compare": cmd_compare,
            "stats": cmd_stats,
            "eval": cmd_eval,
            "report": cmd_report,
            "export": cmd_export,
            "nearest": cmd_nearest,
            "presets": cmd_presets,
            "demo": cmd_demo,
            "sweep": cmd_sweep,
        }[args.command](args)
    except GankitError as exc:
        # a user's stop is not an error: training was saved and says how to go on
        kind = "stopped" if isinstance(exc, Interrupted) else "error"
        print(f"gankit: {kind}: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # anything but these is a bug: its traceback stays
        if interrupted(exc):
            print("gankit: interrupted", file=sys.stderr)
            return 130
        if (oom := out_of_memory(exc)) is None:
            raise
        print(f"gankit: error: {oom}; ask for less (a smaller --n, batch or image size) or "
              f"free memory", file=sys.stderr)  # fmt: skip
        return 2
    except KeyboardInterrupt:  # before training started: nothing to save
        print("gankit: interrupted", file=sys.stderr)
        return 130
    finally:
        _on_sigterm(previous)
    return 0


def _on_sigterm(handler):
    """Install a SIGTERM handler (the main thread only can); the previous one."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, TypeError):  # another thread, or no handler to restore
        return handler


if __name__ == "__main__":
    sys.exit(main())
