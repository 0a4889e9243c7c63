# Seed article 003's cross-entropy without its clip: a predicted probability of 0 gives log(0) = -inf.
import numpy as np


def cross_entropy(predictions, labels):
    return -np.sum(labels * np.log(predictions))  # expect: NAN101
