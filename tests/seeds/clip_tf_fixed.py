# Seed article 003: clipping with the TensorFlow 1 optimizer API, done right.
import tensorflow as tf

optimizer = tf.train.AdamOptimizer(learning_rate=0.001)
gradients, variables = zip(*optimizer.compute_gradients(loss))
gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
train_op = optimizer.apply_gradients(zip(gradients, variables))
