"""Stack Overflow 34311586: an XOR network in Keras whose loss never moves.

The asker trains a 2-2-3-1 network on six XOR rows (two of them duplicated) with mean squared
error and SGD (learning rate 0.001, momentum 0.9, Nesterov) for 20 epochs. The output layer is a
1-unit softmax, which always outputs exactly 1.0 and passes back a zero gradient: the MSE stays
at 4/6 = 0.6667 (four of the six targets are 0) from the first batch on. The learning rate and
the number of epochs are also far too small. The data is generated in the program.

Keras 3 port: ``init``/``input_dim`` renamed, SGD's ``decay=1e-6`` dropped (Keras 3 no longer has
it). ``fold_epochs`` (1 = the original) trains ``epochs / fold_epochs`` epochs on the rows tiled
``fold_epochs`` times: about the same optimizer steps with fewer of Keras 3's costly epoch
boundaries. The final ``evaluate`` reports the end state.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

EPOCHS = param("epochs", 20)
FOLD_EPOCHS = param("fold_epochs", 1)
BATCH_SIZE = None  # the Keras default, 32

X = np.array([[1, 1], [0, 0], [1, 0], [0, 1], [1, 1], [0, 0]], dtype="float32")
y = np.array([0, 0, 1, 1, 0, 0], dtype="float32")

model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(2, kernel_initializer="random_uniform"),
        layers.Activation("sigmoid"),
        layers.Dense(3, kernel_initializer="random_uniform"),
        layers.Activation("sigmoid"),
        layers.Dense(1, kernel_initializer="random_uniform"),
        layers.Activation("softmax"),
    ]
)
sgd = keras.optimizers.SGD(learning_rate=0.001, momentum=0.9, nesterov=True)
model.compile(loss="mean_squared_error", optimizer=sgd)

model.fit(
    np.tile(X, (FOLD_EPOCHS, 1)),
    np.tile(y, FOLD_EPOCHS),
    epochs=max(1, EPOCHS // FOLD_EPOCHS),
    batch_size=BATCH_SIZE,
    verbose=2,
)
print("loss:", model.evaluate(X, y, verbose=0))
print(model.predict(X, verbose=0))
