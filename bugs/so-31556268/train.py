"""Stack Overflow 31556268: a tiny Keras MLP that should learn XOR never gets past 50 %.

The asker trains a 2-4-1 sigmoid network on the four XOR rows with mean absolute error and a
hand-tuned SGD (learning rate 0.05, momentum 0.11, Nesterov) for 1000 epochs. With sigmoid
outputs, MAE gives tiny sign-only gradients and SGD never leaves the symmetric point: the loss
stays at 0.5 and the accuracy at 0.5. The data is generated in the program, as in the original.

Keras 3 port: ``nb_epoch``/``init``/``output_dim`` renamed, SGD's ``decay=1e-6`` dropped
(Keras 3 no longer has it; negligible at 1000 steps). ``fold_epochs`` (1 = the original) trains
``epochs / fold_epochs`` epochs on the rows tiled ``fold_epochs`` times: the same optimizer steps
with fewer of Keras 3's costly epoch boundaries. The final ``evaluate`` reports the end state.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

EPOCHS = param("epochs", 1000)
FOLD_EPOCHS = param("fold_epochs", 1)
BATCH_SIZE = 4

X = np.array([[1, 1], [1, 0], [0, 0], [0, 1]], dtype="float32")
y = np.array([0, 1, 0, 1], dtype="float32")

model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(4, kernel_initializer="glorot_uniform"),
        layers.Activation("sigmoid"),
        layers.Dense(1, kernel_initializer="glorot_uniform"),
        layers.Activation("sigmoid"),
    ]
)
sgd = keras.optimizers.SGD(learning_rate=0.05, momentum=0.11, nesterov=True)
model.compile(loss="mean_absolute_error", optimizer=sgd, metrics=["accuracy"])

model.fit(
    np.tile(X, (FOLD_EPOCHS, 1)),
    np.tile(y, FOLD_EPOCHS),
    epochs=max(1, EPOCHS // FOLD_EPOCHS),
    batch_size=BATCH_SIZE,
    shuffle=True,
    verbose=0,
)
loss, accuracy = model.evaluate(X, y, verbose=0)
print(f"loss: {loss:.4f}, accuracy: {accuracy:.2f}")
print(model.predict(np.array([[0, 1]], dtype="float32"), verbose=0))
print(model.predict(np.array([[1, 1]], dtype="float32"), verbose=0))
