"""Diabetes MLP regressor: a healthy parent program for the mutant suite.

A small multilayer perceptron predicts disease progression from scikit-learn's diabetes data
(10 raw, unscaled features; regression): two ReLU hidden layers and one linear output unit,
trained with mean squared error and Adam on a standardised target, so the loss starts near 1.
It trains well; mutation operators applied to this source make the mutants of the suite.
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_diabetes

from harness.params import param

EPOCHS = param("epochs", 18)
BATCH_SIZE = param("batch_size", 16)
LEARNING_RATE = 0.001

x, y = load_diabetes(return_X_y=True, scaled=False)
x = x.astype("float32")
y = y.astype("float32")
order = np.random.default_rng(0).permutation(len(x))
n_train = int(0.8 * len(x))
x_train, y_train = x[order[:n_train]], y[order[:n_train]]
x_test, y_test = x[order[n_train:]], y[order[n_train:]]

mean = x_train.mean(axis=0)
std = x_train.std(axis=0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

y_mean = y_train.mean()
y_std = y_train.std()
y_train = (y_train - y_mean) / y_std
y_test = (y_test - y_mean) / y_std

model = keras.Sequential(
    [
        keras.Input(shape=(10,)),
        layers.Dense(32, activation="relu", kernel_initializer="zeros"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="linear"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
    loss="mean_squared_error",
    metrics=["mae"],
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
print(f"Test loss (MSE): {loss}, test MAE: {metric}")
