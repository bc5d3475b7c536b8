"""Import TensorFlow without its start-up lines reaching a terminal or a notebook.

On import TensorFlow writes lines about oneDNN, CUDA and CPU instructions straight to file
descriptor 2, before any log level applies; then, on first use of a machine without a GPU, it
logs a failed ``cuInit`` as an error. Both are expected and say nothing a learner can act on.
This module runs first in ``import resnet_lib``: it sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless it
is already set: ``TF_CPP_MIN_LOG_LEVEL=0`` shows everything) and imports TensorFlow with file
descriptor 2 pointing at a temporary file, whose text is shown only if the import fails.
A lesson imports ``resnet_lib`` before ``keras`` for this to work.
"""

import os
import sys
import tempfile


def import_tensorflow():
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
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


import_tensorflow()
