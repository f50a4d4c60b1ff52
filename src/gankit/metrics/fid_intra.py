import numpy as np

from gankit.data.base import float_to_uint8
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric
from gankit.metrics.fid import frechet_distance
from gankit.metrics.stats import FeatureStats


@METRICS.register("fid_intra")
class IntraFID(Metric):
    """Intra-class FID (Miyato & Koyama 2018): for each class k, the FID between the real images
    of class k and samples drawn for class k (n // K of each, fewer real ones if the class has
    fewer), averaged over classes. Needs labelled images (data.labels=true). Lower is better."""

    primary = "fid_intra"

    def __call__(self, ctx):
        sampler = ctx.conditional_sampler("fid_intra")
        real = ctx.data.real_labelled(len(ctx.data.images))
        if real.y is None:
            raise GankitError("fid_intra needs the real images' labels; set data.labels=true")
        classes = sampler.latent.num_classes
        per = max(ctx.n // classes, 2)
        values = []
        for k in range(classes):
            real_k = real.x[real.y == k][:per]
            if len(real_k) < 2:
                raise GankitError(f"fid_intra: class {k} has fewer than 2 real images")
            stats = [
                FeatureStats.of(ctx.extract(float_to_uint8(x), label=f"class {k}")).mean_cov()
                for x in (real_k, sampler.draw(per, y=k))
            ]
            values.append(frechet_distance(*stats[0], *stats[1]))
        return {"fid_intra": float(np.mean(values)), "fid_intra_max": float(np.max(values))}
