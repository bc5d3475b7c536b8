"""Exercise checks: test a student's function by its properties and explain what is wrong.

Each ``check_*(fn)`` calls the function as its lesson's exercise describes and returns quietly
when it is right; otherwise it raises ``AssertionError`` naming the first problem and, on a line
starting "What to do:", the fix ("not written yet" while the function raises NotImplementedError).
The block checks test properties (shapes, convolutions and strides, the shortcut, the ReLU after
the addition, BatchNormalization in inference mode, the output with fixed weights), not layer
names or order, so any right way of writing a block passes. One module per lesson.
"""

from .lesson01 import check_conv_stack, check_gradient_spread
from .lesson02 import check_identity_block, check_identity_block_params, check_relative_change
from .lesson03 import check_convolutional_block, check_zero_pad_shortcut
from .lesson04 import KERAS_APPLICATIONS_PARAMS, check_initial_loss, check_resnet_params, check_stage_params
from .lesson05 import check_mean_confidence, check_smooth_labels, check_warmup_cosine
from .lesson06 import check_best_time, check_bottleneck_multiply_adds, check_depth_from_stages
from .lesson07 import check_predict_labels
from .lesson08 import check_interpolation_losses, check_remove_branch

__all__ = [
    "KERAS_APPLICATIONS_PARAMS",
    "check_best_time",
    "check_bottleneck_multiply_adds",
    "check_conv_stack",
    "check_convolutional_block",
    "check_depth_from_stages",
    "check_gradient_spread",
    "check_identity_block",
    "check_identity_block_params",
    "check_initial_loss",
    "check_interpolation_losses",
    "check_mean_confidence",
    "check_predict_labels",
    "check_relative_change",
    "check_remove_branch",
    "check_resnet_params",
    "check_smooth_labels",
    "check_stage_params",
    "check_warmup_cosine",
    "check_zero_pad_shortcut",
]
