# From seed article 003: the clipped ("safe") cross-entropy.
import numpy as np


def safe_cross_entropy(predictions, labels, epsilon=1e-7):
    predictions = np.clip(predictions, epsilon, 1.0 - epsilon)
    return -np.sum(labels * np.log(predictions))
