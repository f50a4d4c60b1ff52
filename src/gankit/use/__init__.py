"""What a trained run is used for, one use case per module: ``generator`` (a run's G as a Python
object), ``sample`` (reproducible draws to files), ``translate`` (images between domains),
``export`` and ``translation_export`` (safetensors, TorchScript, ONNX, ``hub`` folders),
``nearest`` (training-set neighbours of samples), ``walk`` (latent paths), ``score`` (metrics
between any two image sets) and ``compare`` (runs side by side). They load runs through
``gankit.run.load`` and never train; the CLI and ``gankit.api`` call them."""
