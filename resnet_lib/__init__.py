"""resnet_lib: the code shared by the ResNet notebook series. Lessons write ``import resnet_lib as rl``
and then ``rl.<name>`` for everything; each module holds one concern: blocks, models, data, training,
analysis (measuring models), plotting, session (every lesson's set-up) and checks (one per lesson).
"""

from . import _quiet  # first: it imports TensorFlow without its start-up lines

# isort: split
from . import analysis, blocks, checks, data, graph, models, plotting, session, training
from .analysis import (
    block_names,
    copy_weights_by_name,
    count_multiply_adds,
    delete_blocks,
    filter_normalized_direction,
    grad_cam,
    gradient_norms,
    kernel_layers,
    logits,
    loss_surface,
    max_abs_difference,
    multiply_adds_by_layer,
    per_class_accuracy,
    randomize_weights,
    relative_difference,
    stage_outputs,
)
from .blocks import (
    ZeroPadShortcut,
    basic_block,
    bn_relu,
    conv_bn,
    convolutional_block,
    identity_block,
    preact_bottleneck_block,
)
from .checks import *  # noqa: E402, F403  (every check_* function; checks.__all__ lists them)
from .data import (
    CLASS_NAMES,
    DatasetError,
    channel_stats,
    load_cifar10,
    load_dataset,
    load_fashion_mnist,
    make_dataset,
    random_crop_flip,
    subset,
)
from .graph import plot_diagram, plot_model_graph
from .models import (
    IMAGENET_STAGES,
    cifar_resnet,
    imagenet_resnet,
    imagenet_weights_file,
    plain_network,
    resnet,
    resnet50,
    resnet_v2,
    set_batchnorm_momentum,
)
from .plotting import (
    plot_bars,
    plot_confusion_matrix,
    plot_gradient_norms,
    plot_image_grid,
    plot_learning_rate,
    plot_lines,
    plot_maps,
    plot_output_vs_input,
    plot_surfaces,
    plot_training_curves,
)
from .session import save_normalisation, setup
from .training import (
    FASHION_MNIST_CONFIG,
    SmoothedSparseCrossentropy,
    TrainConfig,
    learning_rate_schedule,
    predict,
    read_checkpoint_state,
    train,
)

#: Everything imported above: the modules and every name a lesson uses.
__all__ = sorted(name for name in dir() if not name.startswith("_") and name != "os")
