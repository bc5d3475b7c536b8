"""resnet_lib: the code shared by the ResNet notebook series.

Blocks and models (Functional Keras 3), data loaders and tf.data pipelines,
training, plotting, measurements and the exercise checks.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of notebooks

from . import analysis, checks, data, plotting  # noqa: E402
from .analysis import copy_weights_by_name, count_multiply_adds, gradient_norms  # noqa: E402
from .blocks import basic_block, convolutional_block, identity_block  # noqa: E402
from .data import load_cifar10, load_dataset, load_fashion_mnist, make_dataset  # noqa: E402
from .models import cifar_resnet, plain_network, resnet, resnet50, resnet_v2  # noqa: E402
from .plotting import plot_model_graph, plot_training_curves  # noqa: E402
from .session import setup  # noqa: E402

__all__ = [
    "analysis",
    "basic_block",
    "checks",
    "cifar_resnet",
    "convolutional_block",
    "copy_weights_by_name",
    "count_multiply_adds",
    "data",
    "gradient_norms",
    "identity_block",
    "load_cifar10",
    "load_dataset",
    "load_fashion_mnist",
    "make_dataset",
    "plain_network",
    "plot_model_graph",
    "plot_training_curves",
    "plotting",
    "resnet",
    "resnet50",
    "resnet_v2",
    "setup",
]

from . import training  # noqa: E402
from .training import TrainConfig, per_class_accuracy, predict, train  # noqa: E402

__all__ += [
    "TrainConfig",
    "per_class_accuracy",
    "predict",
    "train",
    "training",
]
