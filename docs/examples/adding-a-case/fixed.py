"""Stack Overflow 45378493: "Why does a binary Keras CNN always predict 1?"

A 1-D CNN over windows of 10 time steps x 4 features, trained with binary cross-entropy, ends
in Dense(1) followed by a softmax. The softmax of a single unit is always 1.0, so the model
predicts class 1 for every row (the asker's confusion matrix: [[0 362] [0 608]]).

Keras 3 port of the question's code (Convolution1D(nb_filter, filter_length, border_mode) ->
Conv1D(filters, kernel_size, padding); nb_epoch -> epochs; the callback monitors val_accuracy,
Keras 3's name for val_acc). The asker's ~6000 standardised rows are not public: the program
generates windows of the same shape from a drifting random walk, labelled 1 when the window
ends above where it started (about 63 % ones, as in the asker's test set).
"""

import keras
import numpy as np
from keras import layers
from sklearn.metrics import confusion_matrix

from harness.params import param


def make_windows(n, rng):
    """n windows of 10 steps x 4 price-like features (open, high, low, close), standardised."""
    close = np.cumsum(rng.normal(0.108, 1.0, size=(n, 10)), axis=1)
    opening = close - rng.normal(0.0, 0.5, size=(n, 10))
    high = np.maximum(opening, close) + rng.exponential(0.3, size=(n, 10))
    low = np.minimum(opening, close) - rng.exponential(0.3, size=(n, 10))
    x = np.stack([opening, high, low, close], axis=-1)
    y = (close[:, -1] > close[:, 0]).astype("float32")[:, None]
    return ((x - x.mean()) / x.std()).astype("float32"), y


X, y = make_windows(6000, np.random.RandomState(0))
X_train, X_test, y_train, y_test = X[:5030], X[5030:], y[:5030], y[5030:]

model = keras.Sequential()
model.add(keras.Input(shape=(10, 4)))
model.add(layers.Conv1D(filters=16, kernel_size=4, padding="same"))
model.add(layers.BatchNormalization())
model.add(layers.LeakyReLU())
model.add(layers.Dropout(0.2))

model.add(layers.Conv1D(filters=8, kernel_size=4, padding="same"))
model.add(layers.BatchNormalization())
model.add(layers.LeakyReLU())
model.add(layers.Dropout(0.2))

model.add(layers.Flatten())

model.add(layers.Dense(64))
model.add(layers.BatchNormalization())
model.add(layers.LeakyReLU())

model.add(layers.Dense(1))
model.add(layers.Activation("sigmoid"))

reduce_lr = keras.callbacks.ReduceLROnPlateau(
    monitor="val_accuracy", factor=0.9, patience=30, min_lr=0.000001, verbose=0
)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

history = model.fit(
    X_train,
    y_train,
    epochs=param("epochs", 100),
    batch_size=128,
    verbose=0,
    validation_data=(X_test, y_test),
    callbacks=[reduce_lr],
    shuffle=True,
)

y_pred = (model.predict(X_test, verbose=0) > 0.5).astype(int)
print(confusion_matrix(y_test, y_pred))
