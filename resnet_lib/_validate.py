"""Argument checks shared by the public functions.

Each check raises ``ValueError`` or ``TypeError`` naming the argument, the value
that was given and what is allowed, so a student sees at once what to change.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def filters3(name: str, value) -> tuple[int, int, int]:
    """Return a bottleneck ``(F1, F2, F3)`` triple, or raise a clear error."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(
            f"{name} must be a sequence of three channel counts (F1, F2, F3), "
            f"for example [64, 64, 256]; got {value!r}."
        )
    if len(value) != 3:
        raise ValueError(
            f"{name} must have exactly three entries (F1, F2, F3): the 1x1, the "
            f"kxk and the expanding 1x1 convolution; got {len(value)}: {list(value)!r}."
        )
    return tuple(positive_int(f"{name}[{i}]", f) for i, f in enumerate(value))


def one_of(name: str, value, allowed: Sequence) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)!r}, got {value!r}.")


def image_shape(
    name: str, value, *, min_size: int, channels: Sequence[int] | None = None, any_size: bool = False
) -> tuple:
    """Check a channels-last ``(height, width, channels)`` shape (a tuple, list or TensorShape).

    With ``any_size=True`` the height and width may be None: any size, as Keras allows without a top.
    """
    if hasattr(value, "as_list"):  # tf.TensorShape
        value = tuple(value.as_list())
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise ValueError(f"{name} must be (height, width, channels), channels last, got {value!r}.")
    if None in value[:2] and not any_size:
        raise ValueError(
            f"{name}={tuple(value)!r} must give the height and width; None (any size) is allowed "
            "only for a network without its classifier (include_top=False)."
        )
    h, w = (None if v is None else positive_int(f"{name}[{i}]", v) for i, v in enumerate(value[:2]))
    c = positive_int(f"{name}[2]", value[2])
    if c > 4 and h is not None and h <= 4:
        raise ValueError(
            f"{name}={tuple(value)!r} looks channels-first; this library uses channels-last "
            f"(height, width, channels), e.g. ({w}, {c}, {h})."
        )
    if channels is not None and c not in channels:
        raise ValueError(f"{name} must have {' or '.join(map(str, channels))} channels, got {c}.")
    if any(size is not None and size < min_size for size in (h, w)):
        raise ValueError(
            f"{name}={tuple(value)!r} is too small: this network needs at least "
            f"{min_size}x{min_size} pixels (each stride-2 step halves the size)."
        )
    return (h, w, c)


def keras_model(name: str, value):
    """Raise ``TypeError`` unless ``value`` is a built ``keras.Model``."""
    if not isinstance(value, keras.Model):
        raise TypeError(
            f"{name} must be a keras.Model (for example rl.resnet50()), got {type(value).__name__}."
        )
    return value
