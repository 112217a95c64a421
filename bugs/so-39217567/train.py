"""Stack Overflow 39217567: a network mapping 8-bit vectors to 8-bit targets stays at 50 %.

The asker feeds all 256 8-bit binary vectors to a network of three 8-unit sigmoid layers and asks
it to reproduce a target 8-bit vector per input (here: a random permutation of the inputs, made
with Python's ``random.shuffle``). Trained with mean squared error, plain SGD (learning rate
0.01) and batches of 50, the sigmoid hidden layers pass back vanishing gradients: every output
sits at 0.5, the MSE stays at 0.25 and the bitwise accuracy at 0.5 for all 1000 epochs. The data
is generated in the program.

Keras 3 port: ``init='normal'`` becomes ``'random_normal'`` (stddev 0.05, as in Keras 2), and
the accuracy is asked for as ``BinaryAccuracy`` (bitwise) under the original's log name
``accuracy``: that is what Keras 2.2's ``'accuracy'`` computed here (Keras 3 would choose
categorical accuracy for 8 outputs), and the name EarlyStopping(monitor='accuracy') reads.
``fold_epochs`` (1 = the original) trains ``epochs / fold_epochs`` epochs on the rows tiled
``fold_epochs`` times: about the same optimizer steps with fewer of Keras 3's costly epoch
boundaries. The final ``evaluate`` reports the end state.
"""

import itertools
import random

import keras
import numpy as np
from keras import layers

from harness.params import param

EPOCHS = param("epochs", 1000)
FOLD_EPOCHS = param("fold_epochs", 1)
BATCH_SIZE = 50

X = np.array(list(itertools.product([0, 1], repeat=8)), dtype="float32")
targets = [row.copy() for row in X]
random.shuffle(targets)
y = np.array(targets, dtype="float32")

model = keras.Sequential(
    [
        keras.Input(shape=(8,)),
        layers.Dense(8, kernel_initializer="random_normal"),
        layers.Activation("sigmoid"),
        layers.Dense(8, kernel_initializer="random_normal"),
        layers.Activation("sigmoid"),
        layers.Dense(8, kernel_initializer="random_normal"),
        layers.Activation("sigmoid"),
    ]
)
bitwise = keras.metrics.BinaryAccuracy(name="accuracy")  # Keras 2.2's 'accuracy' here
model.compile(loss="mean_squared_error", optimizer="sgd", metrics=[bitwise])

model.fit(
    np.tile(X, (FOLD_EPOCHS, 1)),
    np.tile(y, (FOLD_EPOCHS, 1)),
    epochs=max(1, EPOCHS // FOLD_EPOCHS),
    batch_size=BATCH_SIZE,
    verbose=2,
)
loss, accuracy = model.evaluate(X, y, verbose=0)
print(f"loss: {loss:.4f}, bitwise accuracy: {accuracy:.4f}")
