"""Breast-cancer MLP: a healthy parent program for the mutant suite.

A small multilayer perceptron tells malignant from benign tumours in scikit-learn's breast
cancer data (30 features, binary): two ReLU hidden layers, one sigmoid output unit, binary
cross-entropy and SGD with momentum. It trains well; mutation operators applied to this source
make the mutants of the suite.
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_breast_cancer

from harness.params import param

EPOCHS = param("epochs", 15)
BATCH_SIZE = param("batch_size", 16)
LEARNING_RATE = 0.01

x, y = load_breast_cancer(return_X_y=True)
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

model = keras.Sequential(
    [
        keras.Input(shape=(30,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9),
    loss="binary_crossentropy",
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
