"""Stack Overflow 47352366: a Keras port of TensorFlow's "deep MNIST" CNN gives NaN loss.

The asker rebuilt the TensorFlow tutorial's two-layer convolutional network (5x5 convolutions
with 32 and 64 filters, max pooling, a 1024-unit dense layer with dropout 0.5, biases 0.1) in
Keras and trains it with Adam and categorical cross-entropy on raw 0-255 pixels. The output
layer ends in a ReLU instead of a softmax: when all ten ReLU outputs are zero the cross-entropy
normalises 0 by 0 and the loss becomes NaN, with accuracy at chance. This is the benchmark's
instrumented variant (separate Activation layers, ``fit`` for 5 epochs in batches of 50). Data
comes from ``harness.datasets.mnist``: the original MNIST when cached, else scikit-learn's
digits upsampled to 28x28.
"""

import keras
from keras import layers

from harness.datasets import mnist
from harness.params import param

EPOCHS = param("epochs", 5)
BATCH_SIZE = param("batch_size", 50)


def bias():
    return keras.initializers.Constant(0.1)


(x_train, y_train), (x_test, y_test) = mnist.load_data(size=28)
x_train = x_train.reshape(-1, 784).astype("float32")
x_test = x_test.reshape(-1, 784).astype("float32")
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Reshape((28, 28, 1)),
        layers.Conv2D(32, (5, 5), padding="same", bias_initializer=bias()),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2), padding="same"),
        layers.Conv2D(64, (5, 5), padding="same", bias_initializer=bias()),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2), padding="same"),
        layers.Reshape((1, 7 * 7 * 64)),
        layers.Dense(1024, bias_initializer=bias()),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Flatten(),
        layers.Dense(10),
        layers.Activation("relu"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print("test loss:", loss, "test accuracy:", accuracy)
