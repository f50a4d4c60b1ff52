import torch

from gankit.checks import floats
from gankit.distributed import per_rank
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, Regularizer

POLICIES = ("color", "translation", "cutout")
Share = floats(0, 1)  # a fraction of the image size, or a probability; both ends allowed


@REGULARIZERS.register("diffaugment")
class DiffAugment(Regularizer):
    """Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for
    Data-Efficient GAN Training"): every image D sees, real and generated, in both players'
    phases, passes through the same random, differentiable transforms, so D cannot memorise a
    small training set and G still gets gradients through them. Images [N, C, H, W] in [-1, 1];
    each sample draws its own parameters.

    ``policy``: comma-separated, in this order: ``color`` (brightness +-0.5, saturation x[0, 2],
    contrast x[0.5, 1.5]), ``translation`` (integer shift by up to ``translation`` * size / 2
    pixels, zero padding), ``cutout`` (a zeroed square of ``cutout`` * size at a random place).
    ``p``: the probability that a sample receives each transform (1 in the paper; 0: identity).
    """

    graph_safe = True  # the work is the same every step; CUDA's RNG advances inside the graph

    def __init__(self, policy: str = "color,translation,cutout", translation: Share = 0.125,
                 cutout: Share = 0.5, p: Share = 1.0):  # fmt: skip
        self.policy = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = [name for name in self.policy if name not in POLICIES]
        if unknown or not self.policy:
            raise GankitError(
                f"diffaugment policy '{policy}': use a comma-separated subset of "
                f"{', '.join(POLICIES)}"
            )
        self.translation, self.cutout, self.p = float(translation), float(cutout), float(p)

    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        if x.dim() != 4:
            raise GankitError(
                "regularizer diffaugment augments images, not points; drop it for toy data"
            )
        for name in self.policy:
            x = getattr(self, f"_{name}")(x)
        return x

    def _chosen(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 1, 1, 1] mask: 1 where a sample receives the transform."""
        return (per_rank(lambda m: torch.rand(m, 1, 1, 1, device=x.device), len(x)) < self.p).to(
            x.dtype
        )

    def _mix(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if self.p >= 1.0:
            return out
        keep = self._chosen(x)
        return keep * out + (1 - keep) * x

    def _color(self, x: torch.Tensor) -> torch.Tensor:
        def rand():
            return per_rank(
                lambda m: torch.rand(m, 1, 1, 1, device=x.device, dtype=x.dtype), len(x)
            )

        out = x + (rand() - 0.5)
        mean = out.mean(dim=1, keepdim=True)
        out = (out - mean) * (rand() * 2) + mean
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * (rand() + 0.5) + mean
        return self._mix(x, out)

    def _translation(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        sy, sx = int(h * self.translation / 2 + 0.5), int(w * self.translation / 2 + 0.5)
        dy = per_rank(lambda m: torch.randint(-sy, sy + 1, (m, 1, 1), device=x.device), n)
        dx = per_rank(lambda m: torch.randint(-sx, sx + 1, (m, 1, 1), device=x.device), n)
        rows = torch.arange(h, device=x.device).view(1, h, 1) - dy  # source row of each pixel
        cols = torch.arange(w, device=x.device).view(1, 1, w) - dx
        inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
        index = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).view(n, 1, h * w)
        moved = x.flatten(2).gather(2, index.expand(-1, x.shape[1], -1)).view_as(x)
        return self._mix(x, moved * inside.to(x.dtype))

    def _cutout(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        ch, cw = int(h * self.cutout + 0.5), int(w * self.cutout + 0.5)
        y0 = (
            per_rank(lambda m: torch.randint(0, h + 1 - ch % 2, (m, 1, 1), device=x.device), n)
            - ch // 2
        )
        x0 = (
            per_rank(lambda m: torch.randint(0, w + 1 - cw % 2, (m, 1, 1), device=x.device), n)
            - cw // 2
        )
        rows = torch.arange(h, device=x.device).view(1, h, 1)
        cols = torch.arange(w, device=x.device).view(1, 1, w)
        hole = (rows >= y0) & (rows < y0 + ch) & (cols >= x0) & (cols < x0 + cw)
        return self._mix(x, x * (~hole).unsqueeze(1).to(x.dtype))
