"""Loss objects: the single home of boostfocal's math."""

# The kernels are chosen at import: the compiled extension, or the numpy fallback with
# one warning that says so (see _kernels.py).
from . import _kernels  # noqa: F401
from .focal import FocalLoss
from .ghm import GHMLoss
from .softmax_focal import SoftmaxFocalLoss

__all__ = ["FocalLoss", "GHMLoss", "SoftmaxFocalLoss"]
