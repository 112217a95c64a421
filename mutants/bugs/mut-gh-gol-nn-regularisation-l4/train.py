"""GitHub alexander-travov/gol_nn: a tiny CNN that learns one step of Conway's Game of Life.

Keras 3 port of ``gol.py`` as it sits in the DeepLocalize benchmark (activations as separate
layers). Boards of 3x3 cells live on a torus; each cell is alive with probability 0.5 and the
target is the board's next state under the B3/S23 rules. The board is wrap-padded by one cell,
so a 3x3 valid convolution sees every cell's 8 neighbours. The data is generated here, exactly
as the original did.

What goes wrong: Adam at its default learning rate (1e-3) with binary cross-entropy converges
slowly: after the 2 epochs the net is barely above predicting "dead" everywhere (72.5 % of the
target cells). Upstream's fix switched the loss to MSE and raised the learning rate to 0.01.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

HEIGHT = 3
WIDTH = 3
TRAIN_SIZE = 8000
VALIDATION_SIZE = 2000
EPOCHS = param("epochs", 2)
BATCH_SIZE = param("batch_size", 64)


def next_state(board):
    """One Game-of-Life step on a torus (neighbours wrap around the unpadded board)."""
    neighbours = sum(
        np.roll(np.roll(board, dy, axis=0), dx, axis=1)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if (dy, dx) != (0, 0)
    )
    born = (board == 0) & (neighbours == 3)
    survives = (board == 1) & ((neighbours == 2) | (neighbours == 3))
    return (born | survives).astype("float32")


def generate(n):
    boards = (np.random.random((n, HEIGHT, WIDTH)) < 0.5).astype("float32")
    x = np.stack([np.pad(b, 1, mode="wrap") for b in boards])[..., np.newaxis]
    y = np.stack([next_state(b) for b in boards])[..., np.newaxis]
    return x, y


x_train, y_train = generate(TRAIN_SIZE)
x_val, y_val = generate(VALIDATION_SIZE)

model = keras.Sequential(
    [
        keras.Input(shape=(HEIGHT + 2, WIDTH + 2, 1)),
        layers.Conv2D(10, (3, 3), padding="valid"),
        layers.Activation("relu"),
        layers.Conv2D(20, (1, 1)),
        layers.Activation("relu"),
        layers.Conv2D(1, (1, 1), kernel_regularizer=keras.regularizers.L2(10.0)),
        layers.Activation("sigmoid"),
    ]
)
model.summary()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss="mean_squared_error",
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_val, y_val),
)
