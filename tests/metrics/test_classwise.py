"""class_accuracy, code_purity and fid_intra on samplers whose answer is known: "generators" that
return real digits of a chosen class."""

import warnings

import numpy as np
import pytest
import torch

from gankit.data import DATASETS
from gankit.errors import GankitError
from gankit.metrics.code_purity import purity
from gankit.metrics.evaluate import evaluate
from gankit.models import Latent
from gankit.use.sample import Sampler
from tests.conftest import write_idx


@pytest.fixture(scope="module")
def digits():
    return DATASETS.build("digits", resolution=16, labels=True)


def real_digit_sampler(data, latent, label_of):
    """A stand-in generator: each sample is a real image of class label_of(draw)."""
    x, y = data.real_labelled(len(data.images))
    pools = [x[y == k] for k in range(10)]

    def generate(draw):
        classes = label_of(draw)
        picks = [pools[k][i % len(pools[k])] for i, k in enumerate(classes.tolist())]
        return torch.stack(picks)

    return Sampler(generate, latent, "cpu")


def test_class_accuracy_is_high_for_right_classes_and_chance_for_wrong_ones(digits):
    right = real_digit_sampler(digits, Latent(4, 10), lambda d: d.y)
    wrong = real_digit_sampler(digits, Latent(4, 10), lambda d: (d.y + 3) % 10)
    good = evaluate(digits, right, ["class_accuracy"], 500, cache_root=None)
    bad = evaluate(digits, wrong, ["class_accuracy"], 500, cache_root=None)
    assert good["class_accuracy"] > 0.9 and good["class_accuracy_min"] > 0.7
    assert bad["class_accuracy"] < 0.1


def small_mnist(tmp_path):
    """Two batches of 128 random 'digits' for training, 32 for testing."""
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 256), ("t10k", 32)):
        images = torch.rand(n, 28, 28, generator=torch.Generator().manual_seed(n)) * 255
        write_idx(raw, f"{split}-images-idx3-ubyte", images.to(torch.uint8), 2051)
        write_idx(raw, f"{split}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8), 2049)
    return str(tmp_path / "mnist")


@pytest.mark.parametrize("which", ["learned", "mnist"])
def test_a_classifier_trains_on_first_use_even_under_no_grad(digits, tmp_path, which):
    """`gankit eval --metrics class_accuracy` scores under no_grad; with no cached classifier
    (a fresh machine) training one there failed: 'element 0 of tensors does not require grad'."""
    from gankit.metrics import learned_classifier, mnist_classifier

    with torch.no_grad():
        if which == "learned":
            net, accuracy = learned_classifier.train(digits)
            assert accuracy > 0.5  # the digits are learnable: far above chance (0.1)
        else:
            net, _ = mnist_classifier.train_classifier(small_mnist(tmp_path), epochs=1)
    torch.manual_seed(0)  # both training functions seed 0 before building their network
    untrained = type(net)(*([] if which == "mnist" else [1, 10]))
    trained = [not torch.equal(a, b) for a, b in zip(net.state_dict().values(),
                                                     untrained.state_dict().values())]  # fmt: skip
    assert any(trained)  # the weights moved from the very initialisation they started at


def test_code_purity_finds_a_permuted_code_and_punishes_a_mixed_one(digits):
    perm = torch.tensor([3, 7, 0, 9, 1, 2, 8, 4, 6, 5])
    permuted = real_digit_sampler(digits, Latent(4, 0, (10,), 1), lambda d: perm[d.cat[:, 0]])
    mixed = real_digit_sampler(digits, Latent(4, 0, (10,), 1), lambda d: d.cat[:, 0] // 2)
    assert evaluate(digits, permuted, ["code_purity"], 500, cache_root=None)["code_purity"] > 0.9
    # two code values per class: at most half of them can be matched one-to-one
    assert evaluate(digits, mixed, ["code_purity"], 500, cache_root=None)["code_purity"] < 0.55


def test_purity_is_the_best_one_to_one_assignment():
    counts = np.array([[0, 8, 2], [9, 1, 0], [5, 0, 5]])
    score, assigned = purity(counts)
    assert assigned == [1, 0, 2] and score == pytest.approx((8 + 9 + 5) / 30)


def test_intra_fid_is_small_for_the_right_class_and_larger_for_a_wrong_one(digits):
    right = real_digit_sampler(digits, Latent(4, 10), lambda d: d.y)
    wrong = real_digit_sampler(digits, Latent(4, 10), lambda d: (d.y + 1) % 10)
    good = evaluate(digits, right, ["fid_intra"], 600, "random_conv", cache_root=None)
    bad = evaluate(digits, wrong, ["fid_intra"], 600, "random_conv", cache_root=None)
    assert good["fid_intra"] < 0.5 * bad["fid_intra"]


def test_class_metrics_on_an_unconditional_generator_are_one_line(digits):
    plain = Sampler(lambda d: torch.zeros(len(d.z), 1, 16, 16), Latent(4), "cpu")
    for name in ("class_accuracy", "fid_intra", "code_purity"):
        with pytest.raises(GankitError) as err:
            evaluate(digits, plain, [name], 100, "random_conv", cache_root=None)
        assert "\n" not in str(err.value)


def test_a_dataset_without_a_classifier_says_which_have_one():
    from gankit.metrics.classifiers import classifier_for

    class Unknown:
        registered_name = "cifar10"

    with pytest.raises(GankitError, match="no classifier reads.*digits.*labelled data"):
        classifier_for(Unknown())


def _colour_classes(n_per: int, classes: int, seed: int = 0):
    """A labelled ImageData whose class is the image's colour (plus noise): easy to learn."""
    import torch

    from gankit.data.base import ImageData

    g = torch.Generator().manual_seed(seed)
    colours = torch.randint(0, 256, (classes, 3, 1, 1), generator=g)
    labels = torch.arange(classes).repeat_interleave(n_per)
    noise = torch.randint(-20, 21, (len(labels), 3, 8, 8), generator=g)
    data = ImageData(8, 3)
    data.images = (colours[labels] + noise).clamp(0, 255).to(torch.uint8)
    data.set_labels(labels, classes)
    return data


def test_any_labelled_dataset_gets_a_trained_classifier(tmp_path, monkeypatch, capsys):
    """Issue 28: class_accuracy on a dataset without a bundled classifier."""
    from gankit.data.base import uint8_to_float
    from gankit.metrics.classifiers import classifier_for

    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    data = _colour_classes(60, 4)
    classify, facts = classifier_for(data)
    assert facts["classifier_heldout_accuracy"] > 0.9
    assert (classify(uint8_to_float(data.images)) == data.labels).double().mean() > 0.9
    assert "held-out real images correctly" in capsys.readouterr().err
    assert list((tmp_path / "models").glob("classifier-*.pt"))  # cached: trained once
    again, facts_again = classifier_for(data)
    assert facts_again == facts


def test_a_damaged_cached_classifier_is_trained_again(tmp_path, monkeypatch):
    from gankit.metrics.classifiers import classifier_for

    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    data = _colour_classes(60, 4)
    _, facts = classifier_for(data)
    (cache,) = (tmp_path / "models").glob("classifier-*.pt")
    cache.write_bytes(cache.read_bytes()[:-100])  # cut short, as by a crash of an older version
    with pytest.warns(UserWarning, match="ignoring the cached classifier"):
        _, again = classifier_for(data)
    assert again == facts
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten whole: read back without a warning
        classifier_for(data)


def test_a_classifier_that_cannot_learn_the_labels_is_refused(tmp_path, monkeypatch):
    import torch

    from gankit.metrics.classifiers import classifier_for

    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    data = _colour_classes(60, 4)
    data.set_labels(torch.randint(0, 4, (240,), generator=torch.Generator().manual_seed(1)), 4)
    with pytest.raises(GankitError, match="too few for class_accuracy to mean anything"):
        classifier_for(data)


#: metrics that do not read labelled digit images with random_conv features, and why
NOT_FOR_DIGITS = {"modes": "toy", "stacked_modes": "stacked_mnist"}


@pytest.mark.parametrize("name", __import__("gankit.metrics", fromlist=["METRICS"]).METRICS.names())
def test_every_metric_on_a_conditional_sampler_with_codes(digits, name):
    """Registry-wide: each metric either gives a finite primary value for a sampler with classes
    and an InfoGAN code, or refuses in one line (the listed exceptions only)."""
    sampler = real_digit_sampler(digits, Latent(4, 10, (10,), 1), lambda d: d.y)
    from gankit.metrics import METRICS

    if name in NOT_FOR_DIGITS:
        with pytest.raises(GankitError) as err:
            evaluate(digits, sampler, [name], 200, "random_conv", cache_root=None)
        assert "\n" not in str(err.value)
        return
    out = evaluate(digits, sampler, [name], 200, "random_conv", cache_root=None)
    assert np.isfinite(out[METRICS.get(name).primary])
