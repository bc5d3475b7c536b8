"""Loaders (offline paths, damaged files) and the tf.data pipeline."""

import gzip
import os
import pickle
import tarfile
from pathlib import Path

import resnet_lib as rl
from resnet_lib import data

import numpy as np
import pytest
from prerequisites import require

FASHION_DIR = data.DEBIAN_FASHION_MNIST_DIR


@pytest.fixture
def debian_fashion_mnist():
    require(
        all((FASHION_DIR / f).is_file() for f in data.FASHION_MNIST_FILES),
        "Debian's dataset-fashion-mnist is not installed (make setup installs it as root)",
    )


needs_fashion = pytest.mark.usefixtures("debian_fashion_mnist")


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """Point Keras' cache at an empty folder and make downloads fail at once."""
    import keras.src.backend.config as config
    import keras.src.utils.file_utils as file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # read by resnet_lib
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras"))  # Keras read it at import

    def no_internet(url, *args, **kwargs):
        raise file_utils.urllib.error.URLError("no internet in this test")

    monkeypatch.setattr(file_utils, "urlretrieve", no_internet)
    return tmp_path / "keras"


@needs_fashion
def test_fashion_mnist_from_the_debian_copy_without_download(keras_home):
    (x_train, y_train), (x_test, y_test) = rl.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.min() == 0 and x_train.max() == 255
    assert sorted(np.unique(y_train)) == list(range(10))
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert (keras_home / "datasets" / "fashion-mnist" / data.FASHION_MNIST_FILES[0]).is_symlink()


def _fake_fashion_dir(folder: Path, damage=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (items, header, per_item) in data._FASHION_MNIST_LAYOUT.items():
        payload = bytes(header) + bytes(items * per_item)
        blob = gzip.compress(payload, compresslevel=1)
        if damage == name:
            blob = blob[: len(blob) // 2]
        (folder / name).write_bytes(blob)
    return folder


def test_truncated_fashion_mnist_file_is_named(tmp_path, keras_home):
    folder = _fake_fashion_dir(tmp_path / "fm", damage="train-images-idx3-ubyte.gz")
    with pytest.raises(data.DatasetError, match="train-images-idx3-ubyte.gz"):
        rl.load_fashion_mnist(folder)


def test_folder_missing_files_is_reported(tmp_path, keras_home):
    folder = _fake_fashion_dir(tmp_path / "fm")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DatasetError, match="t10k-labels-idx1-ubyte.gz"):
        rl.load_fashion_mnist(folder)


def test_no_dataset_and_no_internet_says_what_to_do(tmp_path, keras_home, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "absent")
    monkeypatch.delenv(data.FASHION_MNIST_ENV, raising=False)
    with pytest.raises(data.DatasetError) as err:
        rl.load_fashion_mnist()
    message = str(err.value)
    assert "dataset-fashion-mnist" in message and data.FASHION_MNIST_ENV in message


def _tiny_cifar_archive(tmp_path: Path, per_batch=4) -> tuple[Path, dict]:
    """A cifar-10-python.tar.gz in the real format: pickled dicts with b'data' and b'labels'."""
    root = tmp_path / "src" / "cifar-10-batches-py"
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        batches[name] = (images, labels)
        with open(root / name, "wb") as f:
            pickle.dump({b"batch_label": name.encode(), b"data": images, b"labels": labels}, f)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="cifar-10-batches-py")
    return archive, batches


def test_cifar10_from_a_local_archive_in_the_real_format(tmp_path):
    archive, batches = _tiny_cifar_archive(tmp_path)
    (x_train, y_train), (x_test, y_test) = rl.load_cifar10(archive)
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.shape == (20,) and y_test.shape == (4,)
    first = batches["data_batch_1"][0][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)  # channels moved last, pixel for pixel
    assert y_test.tolist() == batches["test_batch"][1]
    # the extracted folder and the environment variable work too
    (x2, _), _ = rl.load_cifar10(tmp_path / "src")
    np.testing.assert_array_equal(x2, x_train)
    os.environ[data.CIFAR10_ENV] = str(archive)
    try:
        (_, _), (x3, _) = rl.load_dataset("cifar10")
    finally:
        del os.environ[data.CIFAR10_ENV]
    np.testing.assert_array_equal(x3, x_test)


def test_corrupt_cifar10_archive_is_named(tmp_path):
    bad = tmp_path / "cifar-10-python.tar.gz"
    bad.write_bytes(b"not a tar file at all")
    with pytest.raises(data.DatasetError, match="cifar-10-python.tar.gz"):
        rl.load_cifar10(bad)


def test_cifar10_without_internet_says_what_to_do(keras_home, monkeypatch):
    monkeypatch.delenv(data.CIFAR10_ENV, raising=False)
    with pytest.raises(data.DatasetError, match=data.CIFAR10_ENV):
        rl.load_cifar10()


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="fashion_mnist"):
        rl.load_dataset("mnist")


def test_pipeline_normalises_and_augments():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)
    y = rng.integers(0, 10, 64)
    mean, std = data.channel_stats(x)
    images, labels = next(iter(rl.make_dataset(x, y, 64, mean=mean, std=std)))
    assert images.shape == (64, 28, 28, 1) and images.dtype.name == "float32"
    assert abs(float(np.mean(images))) < 1e-3 and abs(float(np.std(images)) - 1) < 1e-3
    np.testing.assert_array_equal(labels, y)
    aug = rl.make_dataset(x, y, 64, training=True, mean=mean, std=std, seed=1)
    a1, l1 = next(iter(aug))
    a2, l2 = next(iter(rl.make_dataset(x, y, 64, training=True, mean=mean, std=std, seed=1)))
    np.testing.assert_array_equal(a1, a2)  # same seed, same batch
    order = np.asarray(l1)
    assert sorted(order.tolist()) == sorted(y.tolist())
    assert not np.allclose(a1, np.asarray(images))  # shuffled and augmented


def test_crop_flip_moves_pixels_but_keeps_content():
    import tensorflow as tf

    img = np.zeros((16, 10, 10, 1), "float32")
    img[:, 4:6, 4:6] = 1.0
    out = data.random_crop_flip(tf.constant(img), tf.constant([3, 4]), pad=2)
    out = np.asarray(out)
    assert out.shape == img.shape
    assert np.allclose(out.sum(axis=(1, 2, 3)), 4.0)  # the 2x2 patch stays inside the frame
    assert len({tuple(np.argwhere(o[..., 0])[0]) for o in out}) > 1  # offsets differ per image


def test_make_dataset_rejects_bad_shapes():
    with pytest.raises(ValueError, match="height, width, channels"):
        rl.make_dataset(np.zeros((4, 28, 28)), np.zeros(4))
    with pytest.raises(ValueError, match="same length"):
        rl.make_dataset(np.zeros((4, 28, 28, 1)), np.zeros(3))


def test_subset_is_class_balanced():
    y = np.repeat(np.arange(10), 100)
    x = np.arange(1000)
    xs, ys = data.subset(x, y, 200)
    assert len(xs) == 200 and np.bincount(ys).tolist() == [20] * 10
    np.testing.assert_array_equal(y[xs], ys)


def test_malicious_cifar_pickle_is_refused(tmp_path):
    archive, _ = _tiny_cifar_archive(tmp_path)
    folder = tmp_path / "src" / "cifar-10-batches-py"

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": Exploit(), b"labels": [0]}, f)
    with pytest.raises(data.DatasetError, match="test_batch"):
        rl.load_cifar10(folder)
    assert not (tmp_path / "pwned").exists()
