"""Stack Overflow 41372874: predicting the direction of a sine series reports 100 % accuracy.

Negative control. The asker trains a small relu MLP to predict the up/down direction of a sine
series from its current and previous value and gets perfect accuracy; the reason is the data,
not the model: the label is 1 in every row. The benchmark keeps the program unchanged ("no
issue in the structure"): the network itself is fine, and a fault localizer should leave it
alone. Keras 3 port of the benchmark's copy (activations as separate layers). Data comes from
``harness.datasets.so41372874_sin``: the original file when cached, else 299 rows built to its
description.
"""

import keras
from keras import layers

from harness.datasets import so41372874_sin
from harness.params import param

EPOCHS = param("epochs", 20)
BATCH_SIZE = param("batch_size", 2)

# load the dataset
dataset = so41372874_sin.read_csv().values
X = dataset[:, 0:2].astype(float)
Y = dataset[:, 2].astype(int)

# split into train and test sets
train_size = int(len(X) * 0.80)
test_size = len(X) - train_size
Xtrain, Xtest = X[0:train_size, :], X[train_size : len(X), :]
Ytrain, Ytest = Y[0:train_size], Y[train_size : len(Y)]
print(len(Xtrain), len(Xtest))

# create and fit Multilayer Perceptron model
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(2, kernel_initializer="random_uniform"),
        layers.Activation("relu"),
        layers.Dense(2, kernel_initializer="random_uniform"),
        layers.Activation("relu"),
        layers.Dense(1, kernel_initializer="random_uniform"),
        layers.Activation("sigmoid"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(Xtrain, Ytrain, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)

# Estimate model performance
trainScore = model.evaluate(Xtrain, Ytrain, verbose=2)
print(f"Train Score: {trainScore[1]:.2f}")
testScore = model.evaluate(Xtest, Ytest, verbose=2)
print(f"Test Score: {testScore[1]:.2f}")
