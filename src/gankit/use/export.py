"""Shipping a generator to other programs: ``gankit export RUN --format F --out FILE``.

- safetensors: G's weights and, in the file's metadata, a JSON of what builds G (registry name,
  options, data shape, latent); ``gankit.load(FILE)`` rebuilds it without unpickling anything.
- onnx: inputs ``z`` float32 [N, latent.dim] (and ``y`` int64 [N] for a class-conditional G),
  output ``x`` [N, C, H, W] in [-1, 1], any batch size; checked with onnxruntime against PyTorch.
- torchscript: ``torch.jit.load(FILE)(z)`` (or ``(z, y)``) gives the same images.

The exported network is the EMA generator when the run kept one, in eval mode, its output
clamped to [-1, 1] (R3GAN's G is unbounded while training).
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from pathlib import Path

import numpy as np
import torch

from gankit.errors import GankitError, TranslationRun, interrupted, why
from gankit.run.rundir import RunDir, atomic, write_bytes_atomic
from gankit.use.generator import TrainedGenerator, load, safetensors_bytes

FORMATS = {".safetensors": "safetensors", ".onnx": "onnx", ".pt": "torchscript"}
#: the Python packages each format needs, and the extra that installs them
NEEDS = {
    "safetensors": ["safetensors"],
    "hub": ["safetensors"],
    "onnx": ["onnx", "onnxruntime", "onnxscript"],
}
OPSET = 18
#: the largest difference allowed between onnxruntime's and PyTorch's images
TOLERANCE = 1e-4


class Exported(torch.nn.Module):
    """G as other programs call it: z (and y) in, images clamped to [-1, 1] out."""

    def __init__(self, net: torch.nn.Module, conditional: bool):
        super().__init__()
        self.net, self.conditional = net, conditional

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return (self.net(z, y) if self.conditional else self.net(z)).clamp(-1, 1)


def require(fmt: str) -> None:
    missing = [m for m in NEEDS.get(fmt, []) if importlib.util.find_spec(m) is None]
    if missing:
        raise GankitError(
            f"--format {fmt} needs {', '.join(missing)}: pip install 'gankit[export]'"
        )


def export(
    run_dir: str, fmt: str, out: str, which: str = "latest", overwrite: bool = False
) -> dict:
    """Write G of the run to ``out`` in ``fmt``; returns facts about the export (and its check)."""
    if fmt not in [*FORMATS.values(), "hub"]:
        raise GankitError(
            f"--format must be one of {', '.join(FORMATS.values())}, hub; got '{fmt}'"
        )
    require(fmt)
    out_path = Path(out).expanduser()
    try:
        G = image_generator(run_dir, which)
    except TranslationRun:
        return export_translation(run_dir, fmt, out_path, which, overwrite)
    if fmt == "hub":
        from gankit.use.hub import write_hub

        return write_hub(G, RunDir.existing(run_dir), out_path, overwrite)
    if out_path.is_dir():
        raise GankitError(f"--out {out_path} is a directory; name a file, e.g. {out_path}/G.{fmt}")
    if out_path.exists() and not overwrite:
        raise GankitError(f"--out {out_path} exists; pass --overwrite to replace it")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GankitError(f"could not create {out_path.parent} ({why(exc)})") from None
    return {"safetensors": write_safetensors, "onnx": write_onnx, "torchscript": write_torchscript}[
        fmt
    ](G, out_path)


def export_translation(run_dir: str, fmt: str, out: Path, which: str, overwrite: bool) -> dict:
    """CycleGAN's pair, StarGAN v2's G, F and E: as one .safetensors file or a hub folder."""
    from gankit.use import translation_export

    if fmt not in ("safetensors", "hub"):
        raise GankitError(
            f"a translation run exports as --format safetensors or hub (gankit translate reads "
            f"both), not {fmt}"
        )
    if fmt == "safetensors" and (out.is_dir() or (out.exists() and not overwrite)):
        raise GankitError(
            f"--out {out} exists; pass --overwrite to replace it (a file, not a folder)"
        )
    from gankit.run.load import load_checkpoint
    from gankit.use.translate import Translator

    run = RunDir.existing(run_dir)
    state, cfg = load_checkpoint(run, which)
    translator = Translator.from_state(state, cfg, "cpu", run_dir)
    return translation_export.write(translator, cfg, state.step, run, fmt, out, overwrite)


def image_generator(run_dir: str, which: str) -> TrainedGenerator:
    G = load(run_dir, which)
    if len(G.shape) != 3:
        raise GankitError("export writes image generators; this run makes points (a toy dataset)")
    return G


def example_inputs(G: TrainedGenerator, n: int = 4, seed: int = 0) -> tuple[torch.Tensor, ...]:
    draw = G.latent.sample(n, "cpu", generator=torch.Generator().manual_seed(seed))
    return (draw.z,) if draw.y is None else (draw.z, draw.y)


def write_safetensors(G: TrainedGenerator, out: Path) -> dict:
    write_bytes_atomic(out, safetensors_bytes(G))
    return {"format": "safetensors", "path": str(out)}


def write_torchscript(G: TrainedGenerator, out: Path) -> dict:
    module = Exported(G.net, bool(G.latent.num_classes)).eval()
    inputs = example_inputs(G)
    with torch.no_grad(), warnings.catch_warnings():
        # torch marks TorchScript deprecated; the format is still what many C++ users load
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(module, inputs, check_trace=False)
        # a traced graph may bake the batch size in: check another one
        other = example_inputs(G, n=3, seed=1)
        diff = (traced(*other) - module(*other)).abs().max().item()
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer)
    if diff > TOLERANCE:
        raise GankitError(
            f"TorchScript export differs from PyTorch by {diff:.2g} at another batch size; "
            f"this generator cannot be traced, use --format safetensors or onnx"
        )
    write_bytes_atomic(out, buffer.getvalue())
    return {"format": "torchscript", "path": str(out), "max_abs_diff": diff}


def write_onnx(G: TrainedGenerator, out: Path) -> dict:
    module = Exported(G.net, bool(G.latent.num_classes)).eval()
    inputs = example_inputs(G)
    names = ["z", "y"][: len(inputs)]
    batch = torch.export.Dim("batch")
    with atomic(out) as tmp, torch.no_grad():
        try:
            torch.onnx.export(
                module, inputs, str(tmp), input_names=names, output_names=["x"],
                opset_version=OPSET, dynamic_shapes={name: {0: batch} for name in names},
                dynamo=True, external_data=False, verbose=False,
            )  # fmt: skip
        except OSError:  # a full disk or read-only folder: ``atomic`` says so in one line
            raise
        except Exception as exc:  # the exporter's errors are pages long: keep the first line
            if interrupted(exc):  # a Ctrl-C the exporter wrapped in its own error
                raise KeyboardInterrupt from None
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GankitError(
                f"ONNX export of generator '{G.config['model']['generator']['name']}' failed "
                f"({first}); --format safetensors or torchscript still work"
            ) from None
        diff = check_onnx(tmp, module, G)
    return {"format": "onnx", "path": str(out), "opset": OPSET, "max_abs_diff": diff}


def check_onnx(path: Path, module: torch.nn.Module, G: TrainedGenerator) -> float:
    """Run the file with onnxruntime on fresh latents (another batch size than the export's)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = example_inputs(G, n=5, seed=1)
    feeds = {name: t.numpy() for name, t in zip(["z", "y"], inputs)}
    with torch.no_grad():
        expected = module(*inputs).numpy()
    diff = float(np.abs(session.run(["x"], feeds)[0] - expected).max())
    if diff > TOLERANCE:
        raise GankitError(
            f"the ONNX export differs from PyTorch by {diff:.2g} (more than {TOLERANCE}); "
            f"the file was not kept"
        )
    return diff
