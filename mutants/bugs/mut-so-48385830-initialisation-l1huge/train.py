"""Stack Overflow 48385830: an MNIST MLP whose loss turns NaN and accuracy stays at 10 %.

Keras 3 port of the asker's program (the DeepLocalize paper's motivating example). Data comes
from ``harness.datasets.mnist``: the original MNIST when cached, else scikit-learn's 8x8 digits.
"""

import keras
from keras import layers

from harness.datasets import mnist
from harness.params import param

EPOCHS = param("epochs", 30)
BATCH_SIZE = param("batch_size", 10)
LEARNING_RATE = 3.0


def normal():
    return keras.initializers.RandomNormal(mean=0.0, stddev=1.0)


(x_train, y_train), (x_test, y_test) = mnist.load_data()
n_pixels = x_train.shape[1] * x_train.shape[2]
x_train = x_train.reshape(-1, n_pixels).astype("float32") / 255
x_test = x_test.reshape(-1, n_pixels).astype("float32") / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential(
    [
        keras.Input(shape=(n_pixels,)),
        layers.Dense(30, activation="sigmoid", kernel_initializer=normal(), bias_initializer=normal()),
        layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=100.0), bias_initializer=normal()),
    ]
)
model.summary()
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_test, y_test),
)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss}, test accuracy: {accuracy}")
