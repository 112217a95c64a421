"""Stack Overflow 39525358: a small binary classifier on three letter codes never gets beyond
the majority class.

The asker feeds raw ASCII codes (65-70) to a 3-12-3-1 relu network with tiny uniform initial
weights and trains it one row per batch. The unscaled, nearly collinear inputs keep the relu
units from separating the classes, so the loss stays near 0.69 and the accuracy at the
majority-class rate, although the label is simply "first code is 68". Keras 3 port of the
benchmark's buggy copy (activations as separate layers). Data comes from
``harness.datasets.so39525358_letters``: the original file when cached, else the same 20 rows
rebuilt.
"""

import keras
from keras import layers
from sklearn.model_selection import train_test_split

from harness.datasets import so39525358_letters
from harness.params import param

EPOCHS = param("epochs", 150)
BATCH_SIZE = param("batch_size", 1)
SEED = 7

dataset = so39525358_letters.load_data()
X = dataset[:, 0:3]
Y = dataset[:, 3]
# split into 67 % for train and 33 % for test
X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.33, random_state=SEED)

model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        layers.Dense(12, kernel_initializer="random_uniform"),
        layers.Activation("relu"),
        layers.Dense(3, kernel_initializer="random_uniform"),
        layers.Activation("relu"),
        layers.Dense(1, kernel_initializer="random_uniform"),
        layers.Activation("sigmoid"),
    ]
)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
