"""Stack Overflow 38648195: multi-label classification in Keras gives poor accuracy.

The asker trains an MLP on scikit-learn's synthetic multi-label data (3 independent 0/1 labels)
with a softmax output and mean squared error. Softmax makes the three outputs compete although
several labels can be on at once, so the network learns little; independent sigmoids with binary
cross-entropy are the right pair. The data generator runs offline (seeded here; the original
was not). The original asked for 'accuracy', which Keras 2.2 resolved from the loss: categorical
accuracy for this model's mean squared error over 3 outputs (the published 0.41 before the fix),
binary accuracy for the fixed model's binary cross-entropy. The program names both explicitly:
categorical accuracy under the log name 'accuracy' (what the paper's EarlyStopping(accuracy)
watched) and binary (per-label) accuracy as 'binary_accuracy', which the case's oracle reads.
"""

import keras
from keras.layers import Activation, Dense, Dropout
from keras.models import Sequential
from sklearn.datasets import make_multilabel_classification
from sklearn.model_selection import train_test_split

from harness.params import param

N_SAMPLES = param("n_samples", 60000)
EPOCHS = param("epochs", 20)
BATCH_SIZE = 20

X, Y = make_multilabel_classification(
    n_samples=N_SAMPLES, n_features=20, n_classes=3, random_state=0
)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.2, random_state=0)

model = Sequential()
model.add(keras.Input(shape=(20,)))
model.add(Dense(20))
model.add(Activation("relu"))
model.add(Dropout(0.5))
model.add(Dense(20))
model.add(Activation("relu"))
model.add(Dropout(0.5))
model.add(Dense(3))
model.add(Activation("softmax"))

model.compile(
    optimizer="sgd",
    loss="mean_squared_error",
    metrics=[
        keras.metrics.CategoricalAccuracy(name="accuracy"),
        keras.metrics.BinaryAccuracy(name="binary_accuracy"),
    ],
)
model.fit(
    X_train,
    Y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=(X_test, Y_test),
    verbose=2,
)
