"""Document-level spin detection from the restorer's evidence."""

from despin.detector.logistic import FEATURES, SpinDetector, features

__all__ = ["FEATURES", "SpinDetector", "features"]
