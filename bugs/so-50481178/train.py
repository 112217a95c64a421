"""Stack Overflow 50481178: one sigmoid unit or two softmax units for a binary Keras classifier?

The asker trains a deep MLP (10-20-30-40-50 relu units) on scikit-learn's synthetic multi-label
data with a single label column, ending in one sigmoid unit with binary cross-entropy, and asks
whether the output should rather be two softmax units. The benchmark's "fix" is that swap
(2 softmax units, sparse categorical cross-entropy); both are valid set-ups for a binary task, so
the two programs train alike. The data generator runs offline (seeded here; the original was
not).
"""

import keras
from keras.layers import Activation
from sklearn.datasets import make_multilabel_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder

from harness.params import param

n = 1000  # number of instances
m = 4  # number of features
num_classes = 1  # number of output classes
EPOCHS = param("epochs", 50)

dummyX, dummyY = make_multilabel_classification(
    n_samples=n, n_features=m, n_classes=num_classes, random_state=0
)
labelEncoder = LabelEncoder()
dummyY = labelEncoder.fit_transform(dummyY.ravel())

x_train, x_test, y_train, y_test = train_test_split(dummyX, dummyY, test_size=0.20, random_state=0)

layers = [10, 20, 30, 40, 50]
model = keras.models.Sequential()
model.add(keras.Input(shape=(m,)))
model.add(keras.layers.Dense(layers[0], activation="relu"))
for layer in layers[1:]:
    model.add(keras.layers.Dense(layer))
    model.add(Activation("relu"))
model.add(keras.layers.Dense(1))
model.add(Activation("sigmoid"))

model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(
    x_train,
    y_train,
    validation_split=0.10,
    epochs=EPOCHS,
    batch_size=10,
    shuffle=True,
    verbose=2,
)
