"""Stack Overflow 31880720: a binary classifier on a trivially separable toy set stays at 50 %.

The asker trains an MLP to tell rows of 128 ones (label True) from rows of 128 zeros (label
False). The output layer is a single unit followed by a softmax, and a softmax over one unit
always returns 1.0: every row is predicted positive, accuracy sits at exactly 0.5 and binary
cross-entropy stays frozen (half of the rows at -log(epsilon)). Keras 3 port of the benchmark's
buggy copy (activations as separate layers, including the asker's redundant second relu). The
data is generated here, as in the original; its unused MNIST download is dropped.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

N_PER_CLASS = param("n_per_class", 10000)
N_TEST_PER_CLASS = 100
EPOCHS = param("epochs", 3)
BATCH_SIZE = param("batch_size", 1)
N_FEATURES = 128


def make_rows(n_per_class):
    x = np.concatenate([np.ones((n_per_class, N_FEATURES)), np.zeros((n_per_class, N_FEATURES))])
    y = np.concatenate([np.ones(n_per_class, dtype=bool), np.zeros(n_per_class, dtype=bool)])
    return x.astype("float32"), y.astype("float32")


x_train, y_train = make_rows(N_PER_CLASS)
x_test, y_test = make_rows(N_TEST_PER_CLASS)

model = keras.Sequential(
    [
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(50, activation="relu"),
        layers.Activation("relu"),
        layers.Dropout(0.2),
        layers.Dense(50),
        layers.Activation("relu"),
        layers.Dropout(0.2),
        layers.Dense(1),
        layers.Activation("softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.RMSprop(), loss="binary_crossentropy", metrics=["accuracy"]
)
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_test, y_test),
)
