"""Stack Overflow 48934338: regression of a noisy parabola gives a flat prediction.

The asker fits y = 5 x^2 + noise (x = 0.0, 0.1, ..., 4.9; the noise is a standard normal draw,
cubed) with a 1-50-30-1 relu network, mean squared error and SGD at learning rate 0.1 for 1000
epochs. The learning rate is far too high: the first updates explode, the relu units die and the
network settles on predicting the mean of y, with the loss stuck near the variance of y
(about 1340). The data is generated in the program (the original defines a seed but never uses
it; here the harness seeds numpy).

Keras 3 port: ``output_dim``/``init``/``input_dim`` renamed. The final ``evaluate`` reports the
end state.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

EPOCHS = param("epochs", 1000)
BATCH_SIZE = None  # the Keras default, 32

x = np.arange(0.0, 5.0, 0.1).reshape(-1, 1)
y = 5 * x**2 + np.random.randn(*x.shape) ** 3

model = keras.Sequential(
    [
        keras.Input(shape=(1,)),
        layers.Dense(50),
        layers.Activation("relu"),
        layers.Dense(30, kernel_initializer="random_uniform"),
        layers.Activation("relu"),
        layers.Dense(1),
        layers.Activation("linear"),
    ]
)
model.compile(
    loss="mean_squared_error",
    optimizer=keras.optimizers.SGD(learning_rate=0.1),
    metrics=["accuracy"],
)
model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
loss, accuracy = model.evaluate(x, y, verbose=0)
print(f"loss: {loss:.4f}")
print(np.hstack([x[::10], model.predict(x[::10], verbose=0)]))
