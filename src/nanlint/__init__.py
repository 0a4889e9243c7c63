"""nanlint: find the causes of NaN and Inf losses in training code, before the run."""

__version__ = "0.1.0"
