"""Stack Overflow 44164749: an MNIST MLP trained with categorical vs binary cross-entropy.

The asker trains a 784-5000-600-10 MLP (separate ReLU activations, dropout 0.1) with SGD
(learning rate 0.01, momentum 0.9, Nesterov, decay 1e-6) and categorical cross-entropy for 5
epochs in batches of 2000, and asks why switching to a sigmoid output with binary
cross-entropy reports a higher accuracy. The benchmark counts the softmax output with
categorical cross-entropy as the fault and a sigmoid output with binary cross-entropy as the
fix; the reported gain is largely Keras 2's 'accuracy' turning into binary accuracy under
binary cross-entropy. Data comes from ``harness.datasets.mnist``: the original MNIST when
cached, else scikit-learn's 8x8 digits.
"""

import keras
from keras import layers

from harness.datasets import mnist
from harness.params import param

EPOCHS = param("epochs", 5)
BATCH_SIZE = param("batch_size", 2000)
NB_CLASSES = 10

(X_train, y_train), (X_test, y_test) = mnist.load_data()
n_pixels = X_train.shape[1] * X_train.shape[2]
X_train = X_train.reshape(-1, n_pixels).astype("float32") / 255
X_test = X_test.reshape(-1, n_pixels).astype("float32") / 255
print(X_train.shape[0], "train samples")
print(X_test.shape[0], "test samples")
Y_train = keras.utils.to_categorical(y_train, NB_CLASSES)
Y_test = keras.utils.to_categorical(y_test, NB_CLASSES)

model = keras.Sequential(
    [
        keras.Input(shape=(n_pixels,)),
        layers.Dense(5000),
        layers.Activation("relu"),
        layers.Dropout(0.1),
        layers.Dense(600),
        layers.Activation("relu"),
        layers.Dropout(0.1),
        layers.Dense(NB_CLASSES),
        layers.Activation("softmax"),
    ]
)
model.summary()

# Keras 2's SGD(decay=1e-6) divided the learning rate by (1 + decay * iterations).
learning_rate = keras.optimizers.schedules.InverseTimeDecay(
    initial_learning_rate=0.01, decay_steps=1, decay_rate=1e-6
)
sgd = keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9, nesterov=True)
model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])

model.fit(X_train, Y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)
score = model.evaluate(X_test, Y_test, verbose=0)
print("Test score:", score[0])
print("Test accuracy:", score[1])
