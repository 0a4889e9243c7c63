"""The shared semantic model: name resolution, values and constants, training-step events."""
