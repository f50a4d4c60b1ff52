from gankit.metrics.base import METRICS, Metric
from gankit.metrics.classifiers import classifier_for


@METRICS.register("class_accuracy")
class ClassAccuracy(Metric):
    """For a class-conditional generator: the share of samples drawn for class k that the
    dataset's classifier (metrics.classifiers; gankit's own CNN for MNIST) reads as k, averaged
    over the K classes (n // K samples each). Also the worst class. Higher is better."""

    primary, higher_is_better = "class_accuracy", True

    def __call__(self, ctx):
        sampler = ctx.conditional_sampler("class_accuracy")
        classify, facts = classifier_for(ctx.data)
        classes = sampler.latent.num_classes
        per = max(ctx.n // classes, 1)
        hits = [
            float((classify(sampler.draw(per, y=k)) == k).double().mean()) for k in range(classes)
        ]
        return {"class_accuracy": sum(hits) / classes, "class_accuracy_min": min(hits), **facts}
