"""Import TensorFlow without its start-up lines (oneDNN, CUDA probing, CPU instructions).

TensorFlow writes them to file descriptor 2 before any log level applies, and later logs a failed
``cuInit`` on a machine without a GPU: expected, and nothing a learner can act on. So this module,
run first by ``import resnet_lib``, sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless it is set (``0`` shows
everything) and imports TensorFlow with descriptor 2 on a temporary file, shown only if the import
fails; TensorFlow's Python logger then shows warnings and errors only. Lessons therefore import
``resnet_lib`` before ``keras``.
"""

import os
import sys
import tempfile

if "tensorflow" not in sys.modules:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        if os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0":
            os.dup2(log.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0":  # and its Python INFO lines (MirroredStrategy's devices)
        tensorflow.get_logger().setLevel("WARNING")
