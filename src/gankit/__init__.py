"""gankit: train, evaluate and look at Generative Adversarial Networks in PyTorch.

    import gankit
    run = gankit.train("ring8-wgan-gp", steps=500, out="runs/ring")
    G = gankit.load(run.path)          # or a .safetensors export
    x = G.sample(64, seed=0)

The names below are imported on first use, so ``import gankit`` (and the CLI) stays light.
"""

__version__ = "0.1.0"

_API = {
    "train": "gankit.api",
    "Run": "gankit.api",
    "load": "gankit.use.generator",
    "TrainedGenerator": "gankit.use.generator",
    "export": "gankit.use.export",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'gankit' has no attribute '{name}'")
