"""Stack Overflow 59325381: an MNIST CNN that reports 9.8 % test accuracy.

The asker trains a small CNN (two 3x3 convolutions without activation, each followed by max
pooling, then a 128-unit ReLU layer and a softmax output) with Adam and sparse categorical
cross-entropy for 2 epochs. Preparing the data, the second scaling line divides ``y_train`` by
255 instead of ``x_test``: every training label becomes a fraction below 1 that the loss
truncates to class 0, so the training loss collapses towards zero, while the test images stay
unscaled and the test loss is huge with accuracy at the share of zeros. Data comes from
``harness.datasets.mnist``: the original MNIST when cached, else scikit-learn's digits
upsampled to 28x28.
"""

import keras
from keras import layers

from harness.datasets import mnist
from harness.params import param

EPOCHS = param("epochs", 10)

(x_train, y_train), (x_test, y_test) = mnist.load_data(size=28)
x_train = x_train.reshape(x_train.shape[0], 28, 28, 1).astype("float32")
x_test = x_test.reshape(x_test.shape[0], 28, 28, 1).astype("float32")
x_train = x_train / 255
x_test = x_test / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, kernel_size=(3, 3), padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(128),
        layers.Activation("sigmoid"),
        layers.Dense(10),
        layers.Activation("softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=EPOCHS, verbose=2)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", test_loss)
print("Test accuracy:", test_accuracy)
