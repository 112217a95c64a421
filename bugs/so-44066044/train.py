"""Stack Overflow 44066044: classifying captured network packets; accuracy is stuck at 38 %.

The asker feeds raw packet fields (IPv4 addresses as integers around 3.2e9, ports, window
sizes) to an MLP whose output unit has a relu activation, trained with binary cross-entropy.
On inputs of that magnitude the relu output dies at 0 for every row, so the model predicts
class 0 everywhere: accuracy equals the share of class 0 (8/21 = 0.381) and the loss is frozen
near 10 (the 13 positive rows at -log(epsilon)) from the first epoch. Keras 3 port of the
benchmark's buggy copy (activations as separate layers). Data comes from
``harness.datasets.so44066044_packets``: the original file when cached, else 21 synthetic rows.
"""

import keras
from keras import layers

from harness.datasets import so44066044_packets
from harness.params import param

EPOCHS = param("epochs", 100)
BATCH_SIZE = param("batch_size", 5)

dataset = so44066044_packets.load_data()
X = dataset[:, 0:11]
Y = dataset[:, 11]

model = keras.Sequential(
    [
        keras.Input(shape=(11,)),
        layers.Dense(12, kernel_initializer="random_normal"),
        layers.Activation("relu"),
        layers.Dense(12, kernel_initializer="random_normal"),
        layers.Activation("relu"),
        layers.Dense(1, kernel_initializer="random_normal"),
        layers.Activation("relu"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, Y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
scores = model.evaluate(X, Y, verbose=0)
print(f"accuracy: {scores[1] * 100:.2f}%")
