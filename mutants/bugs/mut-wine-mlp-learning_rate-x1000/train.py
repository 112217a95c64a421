"""Wine MLP: a healthy parent program for the mutant suite.

A small multilayer perceptron tells the three cultivars of scikit-learn's wine data apart
(13 chemical features, 3 classes): two tanh hidden layers and a softmax output, trained with
categorical cross-entropy and Adam. It trains well; mutation operators applied to this source
make the mutants of the suite.
"""

import keras
import numpy as np
from keras import layers
from sklearn.datasets import load_wine

from harness.params import param

EPOCHS = param("epochs", 24)
BATCH_SIZE = param("batch_size", 8)
LEARNING_RATE = 0.005

x, y = load_wine(return_X_y=True)
x = x.astype("float32")
order = np.random.default_rng(0).permutation(len(x))
n_train = int(0.8 * len(x))
x_train, y_train = x[order[:n_train]], y[order[:n_train]]
x_test, y_test = x[order[n_train:]], y[order[n_train:]]

mean = x_train.mean(axis=0)
std = x_train.std(axis=0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

y_train = keras.utils.to_categorical(y_train, 3)
y_test = keras.utils.to_categorical(y_test, 3)

model = keras.Sequential(
    [
        keras.Input(shape=(13,)),
        layers.Dense(64, activation="tanh"),
        layers.Dense(32, activation="tanh"),
        layers.Dense(3, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=5.0),
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
