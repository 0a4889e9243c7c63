# From seed article 003: the TensorFlow learning-rate comparison, uncommented.
import tensorflow as tf

optimizer = tf.train.AdamOptimizer(learning_rate=0.001)
