"""Stack Overflow 52800582: fitting y = x^4 with a Keras MLP; the loss is astronomic and flat.

The asker fits y = x^4 on x = -100, -99.5, ..., 99.5 (400 points, so y reaches 1e8) with a
1-50-50-1 network (sigmoid, then elu), Adam and mean squared error, 1000 full-batch epochs.
Neither x nor y is scaled: the sigmoid units saturate and Adam's small steps cannot bring the
output anywhere near targets of order 1e8, so the MSE stays at about 1.1e15 and barely moves.
The data is generated in the program, as in the original.

Keras 3 port: ``input_dim`` becomes a leading ``keras.Input``; the timing with ``time.clock``
and the matplotlib plot of the prediction are left out. ``fold_epochs`` (1 = the original)
trains ``epochs / fold_epochs`` epochs on the rows tiled ``fold_epochs`` times: the same
optimizer steps with fewer of Keras 3's costly epoch boundaries. The final ``evaluate`` reports
the end state.
"""

import keras
import numpy as np
from keras import layers
from sklearn.preprocessing import StandardScaler

from harness.params import param

EPOCHS = param("epochs", 1000)
FOLD_EPOCHS = param("fold_epochs", 1)

x = np.arange(-100, 100, 0.5).reshape(-1, 1)
y = x**4
x_scaler = StandardScaler()
x = x_scaler.fit_transform(x)
y_scaler = StandardScaler()
y = y_scaler.fit_transform(y)
BATCH_SIZE = len(x)

model = keras.Sequential(
    [
        keras.Input(shape=(1,)),
        layers.Dense(50),
        layers.Activation("relu"),
        layers.Dense(50, kernel_regularizer=keras.regularizers.L2(10.0)),
        layers.Activation("elu"),
        layers.Dense(1),
    ]
)
model.compile(loss="mean_squared_error", optimizer="adam")

for _ in range(1):
    model.fit(
        np.tile(x, (FOLD_EPOCHS, 1)),
        np.tile(y, (FOLD_EPOCHS, 1)),
        epochs=max(1, EPOCHS // FOLD_EPOCHS),
        batch_size=BATCH_SIZE,
        verbose=2,
    )
    prediction = y_scaler.inverse_transform(model.predict(x, verbose=0))
print("loss:", model.evaluate(x, y, verbose=0))
raw_x, raw_y = x_scaler.inverse_transform(x), y_scaler.inverse_transform(y)
print(np.hstack([raw_x[::80], raw_y[::80], prediction[::80]]))
