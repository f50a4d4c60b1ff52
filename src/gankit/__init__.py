"""gankit: train, evaluate and look at Generative Adversarial Networks in PyTorch."""

__version__ = "0.1.0"
