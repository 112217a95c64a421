"""Sequence LSTM: a healthy parent program for the mutant suite.

A small recurrent network reads noisy sequences of 20 numbers, generated here, and tells
whether their sum is positive (binary): an LSTM layer with tanh activation and one sigmoid
output unit, trained with binary cross-entropy and Adam. It trains well; mutation operators
applied to this source make the mutants of the suite.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

def _mutant_scale(x, factor):
    """Mutation (unscaled_inputs): the training inputs multiplied by a constant."""
    import numpy

    return numpy.asarray(x, dtype="float32") * factor


EPOCHS = param("epochs", 9)
BATCH_SIZE = param("batch_size", 32)
LEARNING_RATE = 0.005

N_SEQUENCES = 2000
SEQUENCE_LENGTH = 20

rng = np.random.default_rng(0)
x = rng.normal(size=(N_SEQUENCES, SEQUENCE_LENGTH, 1)).astype("float32")
y = (x.sum(axis=(1, 2)) > 0).astype("float32")
order = rng.permutation(len(x))
n_train = int(0.8 * len(x))
x_train, y_train = x[order[:n_train]], y[order[:n_train]]
x_test, y_test = x[order[n_train:]], y[order[n_train:]]

mean = x_train.mean()
std = x_train.std()
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

model = keras.Sequential(
    [
        keras.Input(shape=(SEQUENCE_LENGTH, 1)),
        layers.LSTM(16, activation="tanh"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
    loss="binary_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    _mutant_scale(x_train, 255.0),
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_test, y_test),
)
loss, metric = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss}, test accuracy: {metric}")
