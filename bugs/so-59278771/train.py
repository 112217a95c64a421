"""Stack Overflow 59278771: a Keras classifier for the iris CSV is stuck at 33 % accuracy.

The asker reads the UCI ``iris.data`` file, one-hot encodes the species and trains a 4-4-3
network with categorical cross-entropy on the raw, unscaled measurements. The output layer is a
sigmoid, whose three outputs do not form a probability distribution; the published run sat at
chance (loss ln 3, accuracy 1/3), most likely because its few relu units died on the positive,
unscaled inputs under an unlucky initialisation. Data comes from ``harness.datasets.iris_uci``:
the UCI file when cached, else scikit-learn's copy in the same layout. The original seeded
numpy with 7; seeding is left to the harness.
"""

import keras
import numpy
from keras.initializers import RandomNormal
from keras.layers import Activation, Dense
from keras.models import Sequential
from sklearn.preprocessing import LabelEncoder

from harness.datasets import iris_uci
from harness.params import param

EPOCHS = 200
BATCH_SIZE = 5
# Quick profile: fold k epochs into one by repeating the rows k times (same optimizer steps).
FOLD = param("fold_epochs", 1)

dataframe = iris_uci.read_csv()
dataset = dataframe.values
X = dataset[:, 0:4].astype(float)
Y = dataset[:, 4]

# encode class values as integers, then as one-hot vectors
encoder = LabelEncoder()
encoder.fit(Y)
encoded_Y = encoder.transform(Y)
dummy_y = keras.utils.to_categorical(encoded_Y)


def normal():
    """Keras 2's kernel_initializer="normal": RandomNormal(mean 0, stddev 0.05)."""
    return RandomNormal(mean=0.0, stddev=0.05)


model = Sequential()
model.add(keras.Input(shape=(4,)))
model.add(Dense(4, kernel_initializer=normal()))
model.add(Activation("relu"))
model.add(Dense(3, kernel_initializer=normal()))
model.add(Activation("sigmoid"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(
    numpy.tile(X, (FOLD, 1)),
    numpy.tile(dummy_y, (FOLD, 1)),
    epochs=EPOCHS // FOLD,
    batch_size=BATCH_SIZE,
    verbose=2,
)
loss, accuracy = model.evaluate(X, dummy_y, verbose=0)
print(f"Training loss: {loss}, training accuracy: {accuracy}")
