"""GitHub ShyamPoovaiah/FacialKeypointsDetection: 30 facial keypoint coordinates from a 96x96 face.

Keras 3 port of ``src/1_single_hidden_layer.py`` as it sits in the DeepLocalize benchmark, which
follows D. Nouri's tutorial on the Kaggle Facial Keypoints Detection data. Data comes from
``harness.datasets.facial_keypoints``: Kaggle's ``training.csv`` when cached, else synthetic
96x96 faces with dark spots at jittered keypoints (same shapes and scaling).

What goes wrong: the network is trained with Adam at a learning rate of 0.1. The loss explodes in
the first epoch (to about 1e7 on the stand-in) and stays orders of magnitude above what the
author's later optimizer (clipped Nesterov SGD at 0.01) reaches.
"""

import keras
from keras import layers

from harness.datasets import facial_keypoints
from harness.params import param

EPOCHS = param("epochs", 100)
BATCH_SIZE = param("batch_size", 32)

X, y = facial_keypoints.load()
print(f"X.shape == {X.shape}; X.min == {X.min():.3f}; X.max == {X.max():.3f}")
print(f"y.shape == {y.shape}; y.min == {y.min():.3f}; y.max == {y.max():.3f}")

model = keras.Sequential(
    [
        keras.Input(shape=(X.shape[1],)),
        layers.Dense(50),
        layers.Dense(100),
        layers.Dense(30),
    ]
)
model.summary()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.1),
    loss="mean_squared_error",
    metrics=["accuracy"],
)
history = model.fit(X, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
print(f"final training loss: {history.history['loss'][-1]}")
