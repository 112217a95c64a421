"""Digits MLP: a healthy parent program for the mutant suite.

A small multilayer perceptron classifies scikit-learn's 8x8 handwritten digits (10 classes):
two ReLU hidden layers, a softmax output, categorical cross-entropy and Adam. It trains well;
mutation operators applied to this source make the mutants of the suite.
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_digits

from harness.params import param

EPOCHS = param("epochs", 15)
BATCH_SIZE = param("batch_size", 32)
LEARNING_RATE = 0.001

x, y = load_digits(return_X_y=True)
x = x.astype("float32")
order = np.random.default_rng(0).permutation(len(x))
n_train = int(0.8 * len(x))
x_train, y_train = x[order[:n_train]], y[order[:n_train]]
x_test, y_test = x[order[n_train:]], y[order[n_train:]]

mean = x_train.mean()
std = x_train.std()
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1.0000000000000001e-07),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_test, y_test),
)
loss, metric = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss}, test accuracy: {metric}")
