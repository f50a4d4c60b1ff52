"""The history of generated images a CycleGAN discriminator trains on (Shrivastava et al. 2017)."""

from __future__ import annotations

import torch


class ImagePool:
    """Keeps up to ``size`` past fakes. ``query(batch)`` returns, for each new image: the image
    itself while the pool fills up; then, with probability ``p``, a random stored image (which
    the new one replaces in the pool), else the new image. D so sees older generators' mistakes
    as well as the newest, which damps oscillation. size 0: every image passes through.
    The pool and its random draws are part of the checkpoint (``state_dict``)."""

    def __init__(self, size: int = 50, p: float = 0.5, seed: int = 0):
        self.size, self.p = size, p
        self.images: torch.Tensor | None = None  # [m, C, H, W], m <= size, detached
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return 0 if self.images is None else len(self.images)

    @torch.no_grad()
    def query(self, batch: torch.Tensor) -> torch.Tensor:
        batch = batch.detach()
        if self.size == 0:
            return batch
        room = max(0, self.size - len(self))
        fresh = batch[:room]
        self.images = fresh.clone() if self.images is None else torch.cat([self.images, fresh])
        rest = batch[room:]
        if not len(rest):
            return batch
        # one draw of the swap decisions and slots for the whole batch, on the CPU generator
        swap = torch.rand(len(rest), generator=self.generator) < self.p
        slots = torch.randint(len(self.images), (len(rest),), generator=self.generator)
        out = rest.clone()
        for i in torch.nonzero(swap).flatten().tolist():
            j = int(slots[i])
            out[i] = self.images[j]
            self.images[j] = rest[i]
        return torch.cat([fresh, out])

    def state_dict(self) -> dict:
        images = self.images.cpu() if self.images is not None else None
        return {"images": images, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict, device) -> None:
        images = state["images"]
        self.images = images.to(device) if images is not None else None
        self.generator.set_state(state["generator"])
