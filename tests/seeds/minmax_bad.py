# From seed article 003: min-max scaling divides by 0 for a constant array.
import numpy as np


def normalize_data(data):
    """Normalize data to the range [-1, 1]"""
    data_min = np.min(data)
    data_max = np.max(data)
    normalized = 2 * (data - data_min) / (data_max - data_min) - 1  # expect: NAN102
    return normalized
