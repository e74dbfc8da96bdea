"""boostfocal: focal loss as a first-class objective for XGBoost and LightGBM."""
from .losses import FocalLoss
__version__ = "0.1.0"
