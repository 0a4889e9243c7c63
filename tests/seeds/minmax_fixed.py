# Seed article 003's min-max scaling, fixed with an epsilon in the denominator.
import numpy as np


def normalize_data(data, eps=1e-8):
    """Normalize data to the range [-1, 1]"""
    data_min = np.min(data)
    data_max = np.max(data)
    normalized = 2 * (data - data_min) / (data_max - data_min + eps) - 1
    return normalized
