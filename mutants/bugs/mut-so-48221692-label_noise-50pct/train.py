"""Stack Overflow 48221692: fitting y = x^2 + 3 with a small network; the loss never drops.

The asker fits the quadratic y = x^2 + 3 on x = -10.0, -9.9, ..., 10.0 (201 rows, read from a
CSV in the original; generated here, the file holds exactly these values) with a 1-5-1 network,
plain SGD and mean squared error, 1000 full-batch epochs. The output layer is a sigmoid, which
cannot exceed 1 while the targets run from 3 to 103: the output saturates at 1 and the MSE stays
at the mean of (y - 1)^2 over the training rows, about 2311.6.

Keras 3 port: ``input_dim`` becomes a leading ``keras.Input``; the original's ``K.function`` dump
of the layer outputs is left out. ``fold_epochs`` (1 = the original) trains
``epochs / fold_epochs`` epochs on the training rows tiled ``fold_epochs`` times: the same
optimizer steps with fewer of Keras 3's costly epoch boundaries. The final ``evaluate`` on the
held-out rows reports the end state.
"""

import keras
import numpy as np
from keras import layers
from sklearn.model_selection import train_test_split

from harness.params import param

def _mutant_shuffle_labels(y, fraction):
    """Mutation (label_noise): the labels of a fraction of the rows shuffled among them."""
    import numpy

    y = numpy.array(y, copy=True)
    rng = numpy.random.default_rng(0)
    rows = rng.choice(len(y), int(len(y) * fraction), replace=False)
    y[rows] = y[rng.permutation(rows)]
    return y


EPOCHS = param("epochs", 1000)
FOLD_EPOCHS = param("fold_epochs", 1)

x = np.round(np.linspace(-10.0, 10.0, 201), 1).reshape(-1, 1)
y = x**2 + 3
X_train, X_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=7)
BATCH_SIZE = len(X_train)

model = keras.Sequential(
    [
        keras.Input(shape=(1,)),
        layers.Dense(5),
        layers.Activation("sigmoid"),
        layers.Dense(1),
        layers.Activation("linear"),
    ]
)
model.compile(loss="mean_squared_error", optimizer="sgd", metrics=["accuracy"])
model.fit(
    np.tile(X_train, (FOLD_EPOCHS, 1)),
    _mutant_shuffle_labels(np.tile(y_train, (FOLD_EPOCHS, 1)), 0.5),
    epochs=max(1, EPOCHS // FOLD_EPOCHS),
    batch_size=BATCH_SIZE,
    verbose=2,
)
loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
print(f"test loss: {loss:.4f}")
print(np.hstack([X_test[:5], model.predict(X_test[:5], verbose=0)]))
