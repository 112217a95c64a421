"""GitHub eangelou/kerasma: the classic first Keras MLP on the Pima Indians diabetes data.

The network is too small for the task: two hidden ReLU layers of 12 and 8 units. It underfits,
and training accuracy stalls at about 0.76 (0.8 on the stand-in). The upstream fix widens the
second hidden layer and adds three more hidden layers.

Keras 3 port written from the case spec. Data comes from ``harness.datasets.pima_diabetes``:
the UCI file when cached, else a synthetic stand-in on Pima's raw column scales. As in the
original, the model is trained and evaluated on all rows.
"""

import numpy as np
from keras.layers import Activation, Dense, Input
from keras.models import Sequential

from harness.datasets import pima_diabetes
from harness.params import param

EPOCHS = param("epochs", 150)
BATCH_SIZE = 10
# Quick profile only: repeat the rows so fewer, longer epochs give the same optimizer steps.
TILE = param("tile", 1)

# load pima indians dataset
dataset = pima_diabetes.load_data()
# split into input (X) and output (Y) variables
X = dataset[:, 0:8]
Y = dataset[:, 8]

# create model
model = Sequential()
model.add(Input(shape=(8,)))
model.add(Dense(12))
model.add(Activation("relu"))
model.add(Dense(8))
model.add(Activation("relu"))
model.add(Dense(1))
model.add(Activation("sigmoid"))

# Compile model
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

# Fit the model
model.fit(np.tile(X, (TILE, 1)), np.tile(Y, TILE), epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)

# evaluate the model
scores = model.evaluate(X, Y, verbose=0, return_dict=True)
print(f"\naccuracy: {scores['accuracy'] * 100:.2f}%")
