"""Stack Overflow 33969059: an MLP regressor for a linear function gives a huge, constant error.

The asker generates y = 2 x1 + x2 + 0.5 x3 + 2.2 with x uniform on [0, 10000) (100,000 training
rows; 10,000 test rows whose constant gets a +-0.2 jitter) and fits it with a 3-3-2-1 tanh
network with dropout, SGD (learning rate 0.1, momentum 0.9, Nesterov) and mean squared error.
The output layer is a 1-unit softmax: it always outputs exactly 1.0 and passes back a zero
gradient, so the prediction is the constant 1 and the MSE (about 3.5e8) never changes. The data
is generated in the program, as in the original.

Keras 3 port: ``init``/``input_dim``/``nb_epoch`` renamed, SGD's ``decay=1e-6`` dropped (Keras 3
no longer has it), ``np.float`` becomes ``float`` and ``shuffle="batch"`` becomes ``True``. The
quick profile trains on fewer rows for fewer epochs.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

def _mutant_shuffle_labels(y, fraction):
    """Mutation (label_noise): the labels of a fraction of the rows shuffled among them."""
    import numpy

    y = numpy.array(y, copy=True)
    rng = numpy.random.default_rng(0)
    rows = rng.choice(len(y), int(len(y) * fraction), replace=False)
    y[rows] = y[rng.permutation(rows)]
    return y


EPOCHS = param("epochs", 20)
N_TRAIN = param("n_train", 100000)
N_TEST = 10000
NORMALISE_WEIGHTS = True

weights = np.array([2.0, 1.0, 0.5])
bias = 2.2
if NORMALISE_WEIGHTS:
    largest = max(float(np.abs(weights).max()), abs(bias))
    weights, bias = weights / largest, bias / largest

X_train = np.random.uniform(0, 10000, size=(N_TRAIN, 3))
y_train = X_train @ weights + bias
X_test = np.random.uniform(0, 10000, size=(N_TEST, 3))
y_test = X_test @ weights + bias + np.random.uniform(-0.2, 0.2, size=N_TEST)

model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        layers.Dense(3, kernel_initializer="random_uniform"),
        layers.Activation("tanh"),
        layers.Dropout(0.5),
        layers.Dense(2, kernel_initializer="random_uniform"),
        layers.Activation("tanh"),
        layers.Dropout(0.5),
        layers.Dense(1, kernel_initializer="random_uniform"),
        layers.Activation("linear"),
    ]
)
sgd = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
model.compile(loss="mean_squared_error", optimizer=sgd, metrics=["accuracy"])
model.fit(X_train, _mutant_shuffle_labels(y_train, 0.5), epochs=EPOCHS, shuffle=True, verbose=2)
score = model.evaluate(X_test, y_test, verbose=0)
print("test score:", score)
