"""StarGAN v2's four networks (Choi et al. 2020, appendix A): a generator with AdaIN style
injection, a mapping network, a style encoder and a multi-domain discriminator.

Sizes follow the paper's rule (channels double per downsampling from ``width`` up to
``max_width``) at any power-of-two resolution >= 16; the paper's 256px model is width 64,
max_width 512, style_dim 64, latent_dim 16. A style is a vector s [N, style_dim].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ResBlock(nn.Module):
    """Pre-activation residual block, optionally instance-normalised and downsampling (2x2
    average pool); the sum is scaled by 1/sqrt(2) to keep unit variance."""

    def __init__(self, cin: int, cout: int, normalize: bool = False, downsample: bool = False):
        super().__init__()
        self.downsample, self.normalize = downsample, normalize
        self.conv1, self.conv2 = nn.Conv2d(cin, cin, 3, 1, 1), nn.Conv2d(cin, cout, 3, 1, 1)
        if normalize:
            self.norm1, self.norm2 = (
                nn.InstanceNorm2d(cin, affine=True),
                nn.InstanceNorm2d(cin, affine=True),
            )
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def _residual(self, x):
        x = self.norm1(x) if self.normalize else x
        x = self.conv1(F.leaky_relu(x, 0.2))
        x = F.avg_pool2d(x, 2) if self.downsample else x
        x = self.norm2(x) if self.normalize else x
        return self.conv2(F.leaky_relu(x, 0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(x)
        skip = F.avg_pool2d(skip, 2) if self.downsample else skip
        return (skip + self._residual(x)) / math.sqrt(2)


class AdaIN(nn.Module):
    """Adaptive instance normalisation (Huang & Belongie 2017):
    AdaIN(x, s) = (1 + gamma(s)) * (x - mu(x)) / sigma(x) + beta(s), with mu and sigma per
    sample and channel, and (gamma, beta) an affine map of the style s [N, style_dim]."""

    def __init__(self, style_dim: int, channels: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.fc = nn.Linear(style_dim, 2 * channels)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.fc(s)[:, :, None, None].chunk(2, dim=1)
        return (1 + gamma) * self.norm(x) + beta


class AdaINResBlock(nn.Module):
    """The decoder's residual block: AdaIN, LeakyReLU, (2x nearest upsampling), conv, twice."""

    def __init__(self, cin: int, cout: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.norm1, self.norm2 = AdaIN(style_dim, cin), AdaIN(style_dim, cout)
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def _up(self, x):
        return F.interpolate(x, scale_factor=2, mode="nearest") if self.upsample else x

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self._up(F.leaky_relu(self.norm1(x, s), 0.2)))
        h = self.conv2(F.leaky_relu(self.norm2(h, s), 0.2))
        return (self.skip(self._up(x)) + h) / math.sqrt(2)


def _widths(resolution: int, width: int, max_width: int, downsamples: int) -> list[int]:
    return [min(width * 2**i, max_width) for i in range(downsamples + 1)]


class Generator(nn.Module):
    """G(x, s): x [N, C, S, S] and style s [N, style_dim] -> [N, C, S, S]. An encoder of
    instance-normalised residual blocks down to S/16 (at least one downsampling), two
    bottleneck blocks, and a mirrored decoder whose every block reads s through AdaIN."""

    def __init__(self, channels: int, resolution: int, style_dim: int = 64, width: int = 64,
                 max_width: int = 512):  # fmt: skip
        super().__init__()
        downs = max(1, int(math.log2(resolution)) - 4)
        w = _widths(resolution, width, max_width, downs)
        self.from_rgb = nn.Conv2d(channels, width, 3, 1, 1)
        self.encode = nn.ModuleList(
            [ResBlock(w[i], w[i + 1], normalize=True, downsample=True) for i in range(downs)]
            + [ResBlock(w[-1], w[-1], normalize=True) for _ in range(2)]
        )
        self.decode = nn.ModuleList(
            [AdaINResBlock(w[-1], w[-1], style_dim) for _ in range(2)]
            + [
                AdaINResBlock(w[i + 1], w[i], style_dim, upsample=True)
                for i in reversed(range(downs))
            ]
        )
        self.to_rgb = nn.Sequential(
            nn.InstanceNorm2d(width, affine=True), nn.LeakyReLU(0.2), nn.Conv2d(width, channels, 1)
        )

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        x = self.from_rgb(x)
        for block in self.encode:
            x = block(x)
        for block in self.decode:
            x = block(x, s)
        return self.to_rgb(x)


class MappingNetwork(nn.Module):
    """F(z, y): latent z [N, latent_dim] and target domain y [N] -> style [N, style_dim]. Four
    shared ReLU layers, then three ReLU layers and a linear output per domain."""

    def __init__(self, latent_dim: int, style_dim: int, domains: int, hidden: int = 512):
        super().__init__()
        shared = [nn.Linear(latent_dim, hidden), nn.ReLU()]
        for _ in range(3):
            shared += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.shared = nn.Sequential(*shared)
        self.unshared = nn.ModuleList(
            nn.Sequential(
                *[m for _ in range(3) for m in (nn.Linear(hidden, hidden), nn.ReLU())],
                nn.Linear(hidden, style_dim),
            )
            for _ in range(domains)
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.shared(z)
        out = torch.stack([head(h) for head in self.unshared], dim=1)  # [N, K, style_dim]
        return out[torch.arange(len(y), device=y.device), y]


class DomainTrunk(nn.Module):
    """The shared body of E and D: conv3, residual blocks halving the size down to 4x4,
    LeakyReLU, conv4 (4x4 -> 1x1), LeakyReLU, then ``outputs`` values per domain; y [N] picks
    its domain's: x [N, C, S, S] -> [N, outputs] (``outputs`` 1 is squeezed to [N])."""

    def __init__(self, channels: int, resolution: int, domains: int, outputs: int, width: int,
                 max_width: int):  # fmt: skip
        super().__init__()
        downs = int(math.log2(resolution)) - 2
        w = _widths(resolution, width, max_width, downs)
        blocks = [nn.Conv2d(channels, width, 3, 1, 1)]
        blocks += [ResBlock(w[i], w[i + 1], downsample=True) for i in range(downs)]
        blocks += [nn.LeakyReLU(0.2), nn.Conv2d(w[-1], w[-1], 4), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*blocks)
        self.domains, self.outputs = domains, outputs
        self.head = nn.Linear(w[-1], domains * outputs)  # one linear head per domain, batched

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.head(self.body(x).flatten(1)).view(len(x), self.domains, self.outputs)
        out = h[torch.arange(len(y), device=y.device), y]
        return out.squeeze(1) if self.outputs == 1 else out


class StyleEncoder(DomainTrunk):
    """E(x, y): image x [N, C, S, S] of domain y [N] -> its style [N, style_dim]."""

    def __init__(self, channels: int, resolution: int, domains: int, style_dim: int = 64,
                 width: int = 64, max_width: int = 512):  # fmt: skip
        super().__init__(channels, resolution, domains, style_dim, width, max_width)


class MultiDomainDiscriminator(DomainTrunk):
    """D(x, y): x [N, C, S, S] -> the logit [N] of the output for domain y ("x is a real image
    of domain y"); one binary classifier per domain over a shared body."""

    def __init__(self, channels: int, resolution: int, domains: int, width: int = 64,
                 max_width: int = 512):  # fmt: skip
        super().__init__(channels, resolution, domains, 1, width, max_width)
