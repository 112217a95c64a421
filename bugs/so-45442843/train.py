"""Stack Overflow 45442843: classifying one integer (is it below 20,000?) stays at 50 % accuracy.

The asker feeds raw integers around 15,000-25,000 to a tiny network whose output layer is a
single unit followed by a softmax, trained with mean absolute error. Softmax over one unit is
always 1.0, so the output never changes: the MAE equals the share of class 0 and the accuracy
the share of class 1, both frozen; the unscaled input also saturates the hidden sigmoid. Keras 3
port of the benchmark's buggy copy (activations as separate layers). Data comes from
``harness.datasets.so45442843_dataset``: the original file when cached, else the same rule
regenerated.
"""

import keras
from keras import layers

from harness.datasets import so45442843_dataset
from harness.params import param

EPOCHS = param("epochs", 100)
BATCH_SIZE = param("batch_size", 200)
N_TRAIN = 799

dataset = so45442843_dataset.read_csv().values
X = dataset[:, 0:1].astype("float32")
Y = dataset[:, 1].astype("float32")
X_train, Y_train = X[:N_TRAIN], Y[:N_TRAIN]
X_test, Y_test = X[N_TRAIN:], Y[N_TRAIN:]

model = keras.Sequential(
    [
        keras.Input(shape=(1,)),
        layers.Dense(1),
        layers.Activation("sigmoid"),
        layers.Dense(1, kernel_initializer="random_normal"),
        layers.Activation("softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.RMSprop(), loss="mean_absolute_error", metrics=["accuracy"]
)
model.fit(
    X_train,
    Y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    verbose=2,
    validation_data=(X_test, Y_test),
)
