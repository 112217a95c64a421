"""GitHub vincenty2022/Averaging_Neural_Networks: a toy network that learns to average two ints.

Keras 3 port of ``keras_net.py`` as it sits in the DeepLocalize benchmark. The data is
generated here, as the original did: 10000 pairs of integers in 0..100 with their mean as the
target, inputs and target divided by 100.

What goes wrong (per upstream's fix commit, "added hidden layer which was previously
forgotten"): the hidden Dense(2, relu) layer before the output is missing, so the net is a
plain linear map. Since the average is itself linear, the buggy net fits it as well as the
fixed one; the 'accuracy' metric (added by the benchmark's authors, resolved to binary
accuracy) stays near 0 for both because it is meaningless on a regression target.
"""

import keras
import numpy as np
from keras import layers

from harness.params import param

N_SAMPLES = 10000
MAX_VALUE = 100
EPOCHS = param("epochs", 10)
BATCH_SIZE = param("batch_size", 10)

pairs = np.random.randint(0, MAX_VALUE + 1, size=(N_SAMPLES, 2))
x_train = (pairs / MAX_VALUE).astype("float32")
y_train = (pairs.mean(axis=1) / MAX_VALUE).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        layers.Dense(2),
        layers.Dense(1),
    ]
)
model.summary()
model.compile(optimizer="rmsprop", loss="mean_squared_error", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)

query = np.array([[10, 20]], dtype="float32") / MAX_VALUE
prediction = model.predict(query, verbose=0)[0, 0] * MAX_VALUE
print(f"average of 10 and 20 predicted as {prediction:.2f}")
