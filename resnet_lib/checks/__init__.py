"""Exercise checks: test a student's function by its properties and explain what is wrong.

Each ``check_*(fn)`` calls the student's function the way the lesson's exercise describes,
returns quietly when it is right, and otherwise raises ``AssertionError`` with a plain-words
explanation of the first problem found and a line starting "What to do:". A function that
still raises ``NotImplementedError`` is reported as "not written yet".

The block checks build the block on a small input for two sets of arguments (kernel sizes 3
and 5; for the convolutional block strides 2 and 1) and test properties: shapes, which
convolutions exist and where the stride is, that the shortcut is added, the ReLU after the
addition, BatchNormalization in inference mode, and the output with fixed weights. They do
not rely on layer names or the order in which layers were created, so any correct way of
writing the block passes. One module per lesson holds that lesson's checks.
"""

from .lesson01 import check_conv_stack, check_gradient_spread
from .lesson02 import check_identity_block, check_identity_block_params
from .lesson03 import check_convolutional_block, check_zero_pad_shortcut
from .lesson04 import KERAS_APPLICATIONS_PARAMS, check_resnet_params, check_stage_params
from .lesson05 import check_smooth_labels, check_warmup_cosine
from .lesson06 import check_bottleneck_multiply_adds, check_depth_from_stages
from .lesson07 import check_predict_labels

__all__ = [
    "KERAS_APPLICATIONS_PARAMS",
    "check_bottleneck_multiply_adds",
    "check_conv_stack",
    "check_convolutional_block",
    "check_depth_from_stages",
    "check_gradient_spread",
    "check_identity_block",
    "check_identity_block_params",
    "check_predict_labels",
    "check_resnet_params",
    "check_smooth_labels",
    "check_stage_params",
    "check_warmup_cosine",
    "check_zero_pad_shortcut",
]
