"""Stack Overflow 48251943: a Keras regression network with a relu output predicts poorly.

The asker fits a tiny MLP (2 inputs, 4 hidden relu units) to a 17-row table whose target
includes negative values, and ends the network in a relu: the output can never be negative,
and once the output unit's pre-activation is negative for every row it is dead (all
predictions 0, no gradient). Whether that happens depends on the initialisation; otherwise the
fit is merely poor. Data comes from ``harness.datasets.so48251943_book1``: the original
``Book1.csv`` when cached, else a synthetic 17-row table with the same statistics. The
original seeded numpy with 7; seeding is left to the harness here.
"""

import numpy
from keras.layers import Activation, Dense, Input
from keras.models import Sequential

from harness.datasets import so48251943_book1
from harness.params import param

EPOCHS = 50
BATCH_SIZE = 10
# Quick profile: fold k epochs into one by repeating the rows k times (fewer epoch boundaries).
FOLD = param("fold_epochs", 1)

dataset = so48251943_book1.load_table()
X = dataset[:, 2:4]
Y = dataset[:, 1]
print("Variables: \n", X)
print("Target_outputs: \n", Y)

model = Sequential()
model.add(Input(shape=(2,)))
model.add(Dense(4))
model.add(Activation("relu"))
model.add(Dense(1))
model.add(Activation("relu"))
model.summary()

model.compile(loss="mean_squared_error", optimizer="sgd", metrics=["MSE"])
model.fit(
    numpy.tile(X, (FOLD, 1)),
    numpy.tile(Y, FOLD),
    epochs=EPOCHS // FOLD,
    batch_size=BATCH_SIZE,
    verbose=2,
)

F = model.predict(X, verbose=0)
print("Predicted values: \n", F)
loss, mse = model.evaluate(X, Y, verbose=0)
print("Training MSE:", mse)
