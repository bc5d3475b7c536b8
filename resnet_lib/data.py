"""Datasets and tf.data input pipelines.

Both loaders return Keras' layout: ``(x_train, y_train), (x_test, y_test)`` with uint8
images, channels last, and integer labels of shape ``(n,)``.

- Fashion-MNIST is read by Keras' own loader. Where a local copy of the four original
  ``.gz`` files exists (``$RESNET_FASHION_MNIST_DIR``, or Debian's package
  ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``) it is linked into
  Keras' cache first, so nothing is downloaded.
- CIFAR-10 is read by Keras' loader (which downloads it), or from a local
  ``cifar-10-batches-py`` folder or ``cifar-10-python.tar.gz`` archive given as
  ``data_dir`` or ``$RESNET_CIFAR10_DIR``, parsed with Keras' own batch reader.
"""

from __future__ import annotations

import gzip
import os
import pickle
import tarfile
import tempfile
import zlib
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import _validate

FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
#: (items, header bytes, bytes per item) of each file once decompressed.
_FASHION_MNIST_LAYOUT = {
    "train-labels-idx1-ubyte.gz": (60000, 8, 1),
    "train-images-idx3-ubyte.gz": (60000, 16, 784),
    "t10k-labels-idx1-ubyte.gz": (10000, 8, 1),
    "t10k-images-idx3-ubyte.gz": (10000, 16, 784),
}
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_ENV = "RESNET_FASHION_MNIST_DIR"
CIFAR10_ENV = "RESNET_CIFAR10_DIR"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

CLASS_NAMES = {
    "fashion_mnist": tuple(
        "T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot".split("|")
    ),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}
DATASETS = tuple(CLASS_NAMES)


class DatasetError(RuntimeError):
    """A dataset is missing or damaged; the message says what to do."""


# ----------------------------------------------------------------------------- Fashion-MNIST


def keras_home() -> Path:
    """The folder where ``keras.utils.get_file`` keeps downloads, by Keras' documented rule.

    ``$KERAS_HOME`` when set, else ``~/.keras`` (``/tmp/.keras`` when the home folder is not
    writable); datasets go into ``datasets/``, pretrained weights into ``models/``.
    """
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = Path.home() if os.access(Path.home(), os.W_OK) else Path("/tmp")
        home = base / ".keras"
    return Path(home)


def _fashion_mnist_source(data_dir) -> Path | None:
    """The first folder that holds all four files: argument, environment, Debian."""
    candidates = [data_dir, os.environ.get(FASHION_MNIST_ENV), DEBIAN_FASHION_MNIST_DIR]
    for folder in candidates:
        if folder is None or folder == "":
            continue
        folder = Path(folder)
        if all((folder / f).is_file() for f in FASHION_MNIST_FILES):
            return folder
        if folder != DEBIAN_FASHION_MNIST_DIR:
            missing = [f for f in FASHION_MNIST_FILES if not (folder / f).is_file()]
            raise DatasetError(
                f"Fashion-MNIST folder {folder} lacks {', '.join(missing)}. It must hold the four "
                f"original files: {', '.join(FASHION_MNIST_FILES)}."
            )
    return None


def verify_fashion_mnist_file(path) -> None:
    """Raise ``DatasetError`` naming ``path`` if it is truncated or corrupt."""
    path = Path(path)
    items, header, per_item = _FASHION_MNIST_LAYOUT[path.name]
    expected = header + items * per_item
    try:
        with gzip.open(path, "rb") as f:
            size = 0
            while chunk := f.read(1 << 20):
                size += len(chunk)
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(
            f"{path} is damaged ({err.__class__.__name__}: {err}). Delete it and reinstall it "
            f"(sudo apt-get install --reinstall dataset-fashion-mnist) or download it again."
        ) from None
    if size != expected:
        raise DatasetError(
            f"{path} holds {size} bytes once decompressed, expected {expected}: the file is "
            f"truncated or is not the original. Delete it and fetch it again."
        )


def load_fashion_mnist(data_dir=None):
    """Fashion-MNIST through ``keras.datasets.fashion_mnist.load_data()``.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(60000, 28, 28)``
    and ``(10000, 28, 28)``, uint8 labels 0..9. Uses a local copy when one exists
    (``data_dir``, ``$RESNET_FASHION_MNIST_DIR``, Debian's ``dataset-fashion-mnist``),
    otherwise lets Keras download it.
    """
    source = _fashion_mnist_source(data_dir)
    cache = keras_home() / "datasets" / "fashion-mnist"
    if source is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for name in FASHION_MNIST_FILES:
            verify_fashion_mnist_file(source / name)
            target = cache / name
            if target.is_symlink() or target.exists():
                if target.resolve() == (source / name).resolve():
                    continue
                target.unlink()
            target.symlink_to((source / name).resolve())
    else:
        for name in FASHION_MNIST_FILES:
            if (cache / name).is_file():
                verify_fashion_mnist_file(cache / name)
    try:
        return keras.datasets.fashion_mnist.load_data()
    except Exception as err:  # Keras raises a bare Exception on download failure
        raise DatasetError(
            "Fashion-MNIST is not on this machine and could not be downloaded "
            f"({err}). Either install Debian's package (sudo apt-get install dataset-fashion-mnist), "
            f"or put the four files ({', '.join(FASHION_MNIST_FILES)}) in a folder and set "
            f"{FASHION_MNIST_ENV} to it, or connect to the internet so Keras can download them."
        ) from err


# ----------------------------------------------------------------------------- CIFAR-10


def _cifar10_batches_dir(source: Path) -> Path:
    """A ``cifar-10-batches-py`` folder from a folder or a ``.tar.gz`` archive."""
    if source.is_dir():
        inner = source / "cifar-10-batches-py"
        return inner if inner.is_dir() else source
    if not source.is_file():
        raise DatasetError(f"CIFAR-10 source {source} does not exist.")
    extract_to = Path(tempfile.mkdtemp(prefix="cifar10_"))
    try:
        with tarfile.open(source, "r:gz") as archive:
            archive.extractall(extract_to, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DatasetError(
            f"{source} is not a readable cifar-10-python.tar.gz archive ({err}). "
            f"Download it again from {CIFAR10_URL}."
        ) from None
    return _cifar10_batches_dir(extract_to)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays; refuses every other class.

    A pickle can name any function to call while loading; a CIFAR batch needs only
    numpy's array constructors, so a file that asks for anything else is refused
    before any of its code runs.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to deserialize {module}.{name}: a CIFAR batch holds only arrays."
        )


def _load_batch(path: Path):
    """One CIFAR-10 batch file: uint8 images ``(n, 3, 32, 32)`` and a list of ``n`` labels."""
    with open(path, "rb") as f:
        batch = _ArraysOnlyUnpickler(f, encoding="bytes").load()
    if not isinstance(batch, dict):
        raise ValueError(f"expected a dict of arrays, found a {type(batch).__name__}")
    images = np.asarray(batch[b"data"], dtype="uint8")
    return images.reshape(len(images), 3, 32, 32), list(batch[b"labels"])


def _read_cifar10_batches(folder: Path):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetError(
            f"CIFAR-10 folder {folder} lacks {', '.join(missing)}; it must hold data_batch_1..5 "
            f"and test_batch as in {CIFAR10_URL}."
        )
    parts = []
    for n in names:
        try:
            data, labels = _load_batch(folder / n)
        except (pickle.UnpicklingError, EOFError, KeyError, ValueError, OSError) as err:
            raise DatasetError(
                f"{folder / n} is damaged ({err.__class__.__name__}: {err}). "
                f"Download the archive again from {CIFAR10_URL}."
            ) from None
        parts.append((data.transpose(0, 2, 3, 1), np.asarray(labels, dtype="uint8")))
    x_train = np.concatenate([p[0] for p in parts[:5]])
    y_train = np.concatenate([p[1] for p in parts[:5]])
    return (x_train, y_train), parts[5]


def load_cifar10(data_dir=None):
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 32, 32, 3)``, labels ``(n,)``.

    With ``data_dir`` (or ``$RESNET_CIFAR10_DIR``) naming a ``cifar-10-batches-py`` folder
    or the ``cifar-10-python.tar.gz`` archive, reads it locally. Otherwise calls
    ``keras.datasets.cifar10.load_data()``, which downloads it (about 170 MB) once.
    The batches are pickles; Keras' reader refuses any pickled object other than
    numpy arrays, so a tampered file raises ``DatasetError`` instead of running code.
    """
    source = data_dir or os.environ.get(CIFAR10_ENV)
    if source:
        return _read_cifar10_batches(_cifar10_batches_dir(Path(source)))
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as err:
        raise DatasetError(
            f"CIFAR-10 could not be downloaded ({err}). On a machine with the internet run "
            f"the notebook once, or download {CIFAR10_URL} yourself and set {CIFAR10_ENV} to "
            "the archive or to its extracted cifar-10-batches-py folder."
        ) from err
    return (x_train, y_train.reshape(-1)), (x_test, y_test.reshape(-1))


def load_dataset(name="fashion_mnist", data_dir=None):
    """``load_fashion_mnist`` or ``load_cifar10`` by name, images always ``(n, H, W, C)``."""
    _validate.one_of("name", name, DATASETS)
    loader = load_fashion_mnist if name == "fashion_mnist" else load_cifar10
    (x_train, y_train), (x_test, y_test) = loader(data_dir)
    if x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (x_train, y_train.reshape(-1)), (x_test, y_test.reshape(-1))


def subset(x, y, n, seed=0):
    """A class-balanced random subset of ``n`` examples (all of them if ``n`` is None)."""
    if n is None or n >= len(x):
        return x, y
    n = _validate.positive_int("n", n)
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = -(-n // len(classes))
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class] for c in classes])
    idx = rng.permutation(idx)[:n]
    return x[idx], y[idx]


# ----------------------------------------------------------------------------- pipelines


def channel_stats(x):
    """Per-channel mean and standard deviation of uint8 images ``(n, H, W, C)``, in [0, 1] units."""
    x = np.asarray(x, dtype=np.float64) / 255.0
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes).astype("float32"), x.std(axis=axes).astype("float32")


def random_crop_flip(images, seed, pad=4, flip=True):
    """Augment a whole batch ``(B, H, W, C)`` at once: random crop after zero padding, and flip.

    Each image gets its own offset in ``[0, 2 * pad]`` and a coin-flip mirror, drawn
    from the stateless generator with ``seed`` (two integers), so a run is repeatable.
    The work is a few vectorised gathers on the batch tensor, cheaper on a CPU than
    a per-image ``map``.
    """
    shape = tf.shape(images)
    b, h, w = shape[0], shape[1], shape[2]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    if pad:
        images = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        dy = tf.random.stateless_uniform([b], seeds[0], 0, 2 * pad + 1, dtype=tf.int32)
        dx = tf.random.stateless_uniform([b], seeds[1], 0, 2 * pad + 1, dtype=tf.int32)
        rows = dy[:, None] + tf.range(h)[None, :]
        cols = dx[:, None] + tf.range(w)[None, :]
        images = tf.gather(images, rows, axis=1, batch_dims=1)
        images = tf.gather(images, cols, axis=2, batch_dims=1)
    if flip:
        mirror = tf.random.stateless_uniform([b], seeds[2], 0, 2, dtype=tf.int32) > 0
        images = tf.where(mirror[:, None, None, None], tf.reverse(images, [2]), images)
    return images


def translate(images, dy, dx):
    """A batch ``(B, H, W, C)`` moved ``dy`` pixels down and ``dx`` right (negative: up, left), the
    border mirrored into the pixels the move leaves empty."""
    h, w, p = images.shape[1], images.shape[2], max(abs(dy), abs(dx))
    padded = tf.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], mode="SYMMETRIC")
    return padded[:, p - dy : p - dy + h, p - dx : p - dx + w, :]


def make_dataset(x, y, batch_size=128, *, training=False, mean=None, std=None, augment=None, pad=4, seed=0):
    """A ``tf.data.Dataset`` of ``(images, labels)`` batches, normalised with ``mean``/``std``.

    ``x``: uint8 ``(n, H, W, C)``; ``y``: integer labels ``(n,)``. Images come out
    float32 ``(B, H, W, C)``, ``(x / 255 - mean) / std``. With ``training=True`` the data
    is shuffled each epoch and, unless ``augment=False``, randomly cropped (``pad``
    pixels) and flipped per batch.
    """
    x = np.asarray(x)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 4:
        raise ValueError(f"x must be (n, height, width, channels); got shape {x.shape}.")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} images and {len(y)} labels.")
    batch_size = _validate.positive_int("batch_size", batch_size)
    if mean is None or std is None:
        mean, std = channel_stats(x)
    mean = tf.constant(np.asarray(mean, "float32").reshape(1, 1, 1, -1))
    std = tf.constant(np.asarray(std, "float32").reshape(1, 1, 1, -1))
    augment = training if augment is None else augment

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("int32")))
    if training:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    # One fresh pair of seeds per batch, different each epoch but the same from run to run.
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip(ds, seeds)

    def prepare(batch, seed):
        images, labels = batch
        images = (tf.cast(images, tf.float32) / 255.0 - mean) / std
        if augment:
            images = random_crop_flip(images, seed, pad=pad)
        return images, labels

    # Fixed parallelism, autotuning off: tf.data's autotuner made each epoch's iterator wait for
    # its next optimisation round when it ended (seconds a round at every epoch boundary).
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.map(prepare, num_parallel_calls=2).prefetch(2).with_options(options)
