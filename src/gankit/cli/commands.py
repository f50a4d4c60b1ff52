"""What each command does: its arguments, as keywords, handed to the module that owns the work
(app, use.*, metrics, sweep, demos), imported only when the command runs so that start-up
stays light."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from gankit.errors import GankitError


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


#: command name -> what it does
COMMANDS = {
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
}
