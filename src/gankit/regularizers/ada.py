import torch
import torch.distributed as dist

from gankit.checks import Count, Positive, floats
from gankit.distributed import active, per_rank
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, DStep, Regularizer

Unit = floats(0, 1)


@REGULARIZERS.register("ada")
class ADA(Regularizer):
    """Adaptive discriminator augmentation (Karras et al. 2020, "Training Generative Adversarial
    Networks with Limited Data"): every image D sees, real and generated, in both phases, is
    augmented with probability p per transform and sample, and p follows D's overfitting.

    Heuristic: r_t = E[sign(D(x_real))] over the last ``interval`` D steps; p moves by
    sign(r_t - target) * (images seen in those steps) / (``kimg`` * 1000), so it can go from 0
    to 1 in ``kimg`` thousand images, and is clamped to [0, 1]. The paper: target 0.6,
    interval 4, kimg 500. The pipeline is the paper's leak-free subset: x-flip, rotation by a
    multiple of 90 degrees, integer translation by up to 1/8 of the size (reflection padding),
    then brightness (+N(0, 0.2)), contrast (x lognormal(0, 0.5 ln 2)) and saturation
    (x lognormal(0, ln 2)). All are differentiable in the images [N, C, S, S], so G gets
    gradients through them. p lives on the device (no host sync), is logged as ``ada_p`` and
    ``ada_rt``, and p, the sign accumulator and p's history are in the checkpoint.
    """

    def __init__(self, target: Unit = 0.6, interval: Count = 4, kimg: Positive = 500.0,
                 p: Unit = 0.0):  # fmt: skip
        self.target, self.interval, self.kimg = float(target), int(interval), float(kimg)
        self.p0 = float(p)
        self.p: torch.Tensor | None = None  # created on the data's device at the first step
        self.signs = self.count = None
        self.history: list[float] = []  # p after each adjustment (read back at checkpoints)
        self._pending: list[torch.Tensor] = []

    # ---- the adaptive probability
    def _state_on(self, device) -> None:
        """p and the accumulators live where the images are (created, or moved after a load)."""
        if self.p is None:
            self.p = torch.tensor(self.p0, device=device)
            self.signs, self.count = torch.zeros((), device=device), torch.zeros((), device=device)
        elif self.p.device != torch.device(device):
            self.p, self.signs, self.count = (
                t.to(device) for t in (self.p, self.signs, self.count)
            )

    def d_penalty(self, ctx: DStep):
        self._state_on(ctx.real_out.device)
        self.signs += torch.sign(ctx.real_out.detach().float()).sum()
        self.count += len(ctx.real_out)
        stats = {"ada_p": self.p.clone(), "ada_rt": self.signs / self.count.clamp_min(1)}
        if (ctx.index + 1) % self.interval == 0:
            self._adjust()
        return torch.zeros((), device=ctx.real_out.device), stats

    @torch.no_grad()
    def _adjust(self) -> None:
        if active():  # r_t over the global batch, so p moves alike on every rank
            dist.all_reduce(self.signs)
            dist.all_reduce(self.count)
        rt = self.signs / self.count.clamp_min(1)
        step = torch.sign(rt - self.target) * self.count / (self.kimg * 1000)
        self.p.copy_((self.p + step).clamp(0.0, 1.0))
        self._pending.append(self.p.clone())
        self.signs.zero_()
        self.count.zero_()

    # ---- the pipeline
    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        if x.dim() != 4 or x.shape[2] != x.shape[3]:
            raise GankitError("regularizer ada augments square images; drop it for toy data")
        self._state_on(x.device)
        x = self._where(x, x.flip(3))
        x = self._rotate90(x)
        x = self._translate(x)
        return self._color(x)

    def _chosen(self, x: torch.Tensor) -> torch.Tensor:
        return per_rank(lambda m: torch.rand(m, 1, 1, 1, device=x.device), len(x)) < self.p

    def _where(self, x, out):
        return torch.where(self._chosen(x), out, x)

    def _rotate90(self, x):
        k = per_rank(lambda m: torch.randint(0, 4, (m, 1, 1, 1), device=x.device), len(x))
        out = x
        for quarter in (1, 2, 3):
            out = torch.where(k == quarter, torch.rot90(x, quarter, (2, 3)), out)
        return self._where(x, out)

    def _translate(self, x):
        n, _, s, _ = x.shape
        shift = (
            (per_rank(lambda m: torch.rand(2, m, 1, 1, device=x.device), n, dim=1) * 2 - 1)
            * 0.125
            * s
        )
        dy, dx = shift.round().long()
        rows = reflect(torch.arange(s, device=x.device).view(1, s, 1) - dy, s)
        cols = reflect(torch.arange(s, device=x.device).view(1, 1, s) - dx, s)
        index = (rows * s + cols).view(n, 1, s * s).expand(-1, x.shape[1], -1)
        return self._where(x, x.flatten(2).gather(2, index).view_as(x))

    def _color(self, x):
        n = len(x)

        def draw(std):
            return (
                per_rank(lambda m: torch.randn(m, 1, 1, 1, device=x.device, dtype=x.dtype), n) * std
            )

        x = self._where(x, x + draw(0.2))
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = self._where(x, (x - mean) * torch.exp2(draw(0.5)) + mean)
        if x.shape[1] == 3:
            luma = x.mean(dim=1, keepdim=True)
            x = self._where(x, (x - luma) * torch.exp2(draw(1.0)) + luma)
        return x

    # ---- checkpoint
    def state_dict(self) -> dict:
        self.history += [float(p) for p in self._pending]  # one host sync, at checkpoint time
        self._pending = []
        if self.p is None:
            return {"p": self.p0, "history": list(self.history)}
        return {"p": self.p.cpu(), "signs": self.signs.cpu(), "count": self.count.cpu(),
                "history": list(self.history)}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.history, self._pending = list(state.get("history", [])), []
        if "signs" not in state:
            self.p0, self.p = float(state["p"]), None
            return
        self.p, self.signs, self.count = (state[k].clone() for k in ("p", "signs", "count"))


def reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel indices outside [0, size) mirrored back inside (reflection padding, no edge repeat)."""
    period = 2 * (size - 1)
    index = index.remainder(period) if period else index * 0
    return torch.where(index >= size, period - index, index)
