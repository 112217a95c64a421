"""Stack Overflow 51930566: iris classification with a tiny Keras network stalls around 64 %.

The asker one-hot encodes the iris labels, standardises the features and trains a 4-4-3
network with categorical cross-entropy. The output layer is a sigmoid, whose three outputs do
not form a probability distribution, and a leftover second train/test split of the raw features
overwrites the standardised one, so the network trains on unscaled inputs. Data: scikit-learn's
``load_iris``, exactly as in the original.
"""

import numpy as np
from keras import Input
from keras.initializers import RandomNormal
from keras.layers import Activation, Dense
from keras.models import Sequential
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

iris = load_iris()
X = iris["data"]
y = iris["target"]
names = iris["target_names"]
feature_names = iris["feature_names"]

# One-hot encoding
enc = OneHotEncoder()
Y = enc.fit_transform(y[:, np.newaxis]).toarray()

# Scale data to have mean 0 and variance 1, which matters for the network's convergence
scaler = StandardScaler()
X_scaled = scaler.fit_transform(X)

# Split the data set into training and testing
X_train, X_test, Y_train, Y_test = train_test_split(X_scaled, Y, test_size=0.5, random_state=2)
n_features = X.shape[1]
n_classes = Y.shape[1]

# Split the data set into training and testing
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.5, random_state=2)
n_features = X.shape[1]
n_classes = Y.shape[1]


def normal():
    """Keras 2's init='normal': RandomNormal(mean 0, stddev 0.05)."""
    return RandomNormal(mean=0.0, stddev=0.05)


model = Sequential()
model.add(Input(shape=(n_features,)))
model.add(Dense(4, kernel_initializer=normal()))
model.add(Activation("relu"))
model.add(Dense(n_classes, kernel_initializer=normal()))
model.add(Activation("sigmoid"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(
    X_train,
    Y_train,
    batch_size=5,
    epochs=50,
    verbose=2,
    validation_data=(X_test, Y_test),
)
score = model.evaluate(X_test, Y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
