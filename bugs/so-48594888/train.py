"""Stack Overflow 48594888: a small Keras CNN on CIFAR-10 stays at about 48 % accuracy.

The asker trains a two-block CNN (3x3 convolutions with 64 and 256 filters, He-normal
initialisation, max pooling, a 512-unit dense layer with dropout 0.3, softmax output) with Adam
and categorical cross-entropy for 5 epochs, validating on the test set. The images are fed as
raw 0-255 values. The accepted fix scales the inputs to [0, 1] and retunes the network (2x2
second kernel, 1024 dense units, dropout 0.4, batches of 500). This is the benchmark's
instrumented variant (separate Activation layers, batches of 32). Data comes from
``harness.datasets.cifar10``: the original CIFAR-10 when cached, else scikit-learn's digits
blown up to 32x32 colour images.
"""

import keras
from keras import layers

from harness.datasets import cifar10
from harness.params import param

EPOCHS = param("epochs", 5)
BATCH_SIZE = 32
NUM_CLASSES = 10

(x_train, y_train), (x_test, y_test) = cifar10.load_data()
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)

model = keras.Sequential(
    [
        keras.Input(shape=x_train.shape[1:]),
        layers.Conv2D(64, (3, 3), kernel_initializer="he_normal"),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(256, (3, 3), kernel_initializer="he_normal"),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(512),
        layers.Activation("relu"),
        layers.Dropout(0.3),
        layers.Dense(NUM_CLASSES),
        layers.Activation("softmax"),
    ]
)
model.summary()
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=2,
    validation_data=(x_test, y_test),
)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
