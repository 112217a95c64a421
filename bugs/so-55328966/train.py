"""Stack Overflow 55328966: an MLP on MNIST read from CSV files stays at 10 % accuracy.

The asker reads MNIST from CSV tables (a label column and 784 pixel columns), keeps the first
5000 training and 2000 test rows, shuffles them, one-hot encodes the labels through an identity
matrix and trains a 784-784-50-10 MLP with TensorFlow's plain gradient descent (learning rate
1e-4) and categorical cross-entropy for 10 epochs in batches of 32. The pixels are fed raw
(0-255) and the output layer is a sigmoid: the sigmoids saturate, the normalised prediction
carries no information, and the loss sits near ln 10 with accuracy at chance. Data comes from
``harness.datasets.mnist_csv``: the original CSV files when cached, else scikit-learn's digits
upsampled to 28x28 in the same layout.
"""

import keras
import numpy as np
from keras import layers

from harness.datasets import mnist_csv
from harness.params import param

EPOCHS = param("epochs", 10)
BATCH_SIZE = 32
LEARNING_RATE = 1e-4

train = mnist_csv.read_csv("train")
test = mnist_csv.read_csv("test")
train = train.iloc[:5000].sample(frac=1)
test = test.iloc[:2000].sample(frac=1)

y_train = np.eye(10)[train.pop("label").to_numpy()]
y_test = np.eye(10)[test.pop("label").to_numpy()]
x_train = train.to_numpy().astype("float32")
x_test = test.to_numpy().astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(784, kernel_regularizer=keras.regularizers.l2(0.0)),
        layers.Dense(50),
        layers.Activation("relu"),
        layers.Dense(10),
        layers.Activation("sigmoid"),
    ]
)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print("test loss:", loss, "test accuracy:", accuracy)
