"""GitHub Jacobvs/DDOS-ML-Detection: label network packet records as normal or one of 4 DDoS kinds.

Keras 3 port of ``ddos-detect.py`` as it sits in the DeepLocalize benchmark. Data comes from
``harness.datasets.ddos_network_logs``: the repository's ARFF file when cached, else an
imbalanced synthetic stand-in with the same 27 raw-scaled attributes and 5 classes (about 90 %
"Normal").

What goes wrong: per upstream's fix commit, the hidden layers have the wrong widths (22/64/128/64
instead of 30/10/10) and one hidden Dense+Dropout block too many. On the raw, unscaled features
the net collapses to predicting the majority class (accuracy = share of "Normal"); the fixed
architecture behaves the same, in the paper (0.90 -> 0.90) and here.
"""

import keras
import numpy as np
from keras import layers

from harness.datasets import ddos_network_logs
from harness.params import param

EPOCHS = param("epochs", 2)
BATCH_SIZE = param("batch_size", 32)
ROWS = param("rows", None)

dataset = ddos_network_logs.load_arff(n_rows=ROWS)
data = np.array(dataset["data"])
X = data[:, :-1].astype("float32")
y = data[:, -1].astype("int64")
n_classes = len(dataset["attributes"][-1][1])

split = int(len(X) * 0.9)
X_train, X_test = X[:split], X[split:]
y_train = keras.utils.to_categorical(y[:split], n_classes)
y_test = keras.utils.to_categorical(y[split:], n_classes)
print(f"train {X_train.shape}, test {X_test.shape}, classes {n_classes}")

model = keras.Sequential(
    [
        keras.Input(shape=(X.shape[1],)),
        layers.Dense(22, activation="relu", kernel_initializer="uniform"),
        layers.Dropout(0.4),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(n_classes, activation="softmax"),
    ]
)
model.summary()
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    X_train,
    y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=(X_test, y_test),
    verbose=2,
)
print(f"final validation accuracy: {history.history['val_accuracy'][-1]}")
