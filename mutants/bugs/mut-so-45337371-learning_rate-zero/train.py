"""Stack Overflow 45337371: the gradient of a Keras model's output w.r.t. its input is always 0.

The asker probed d(output)/d(input) of a small MLP and always got zeros. The benchmark's training
variant of the program (ported here) trains the same stack per position on random data in
[0, 1] with binary cross-entropy. Its output layer is a softmax over a single unit, which is the
constant 1.0 whatever its input: the input gradient is zero, and under Keras 2 semantics the
cross-entropy is frozen at the epsilon-clipped value (about 8) instead of falling to ln 2.
Data is generated in the program, as in the original (which did not seed it).
"""

import numpy as np
from keras import Input, Sequential
from keras.layers import Activation, Dense

from harness.params import param

import keras
EPOCHS = param("epochs", 5)
BATCH_SIZE = 1

x = np.random.uniform(size=(1000, 5, 1))
y = np.random.uniform(size=(1000, 5, 1))

model = Sequential()
model.add(Input(shape=(5, 1)))
model.add(Dense(60))
model.add(Activation("relu"))
model.add(Dense(50))
model.add(Activation("relu"))
model.add(Dense(1))
model.add(Activation("sigmoid"))

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
