"""Stack Overflow 34673164: predicting a county's 2012 presidential winner from 16 demographic
numbers; the Keras model barely learns.

The asker feeds 16 unscaled county statistics (from below 1 to several hundred thousand) to a
tanh MLP with a 2-unit softmax output trained with mean squared error and SGD (learning rate
0.1, Nesterov momentum). The large inputs saturate the tanh units and MSE on a softmax gives
weak gradients; with nine rows the accuracy stays low or unstable. The accepted answer adds a
BatchNormalization input layer and uses a sigmoid output with binary cross-entropy. Keras 3
port of the benchmark's buggy copy (activations as separate layers). Data comes from
``harness.datasets.so34673164_counties``: the original file when cached, else nine synthetic
rows with the same column scales.
"""

import keras
from keras import layers
from sklearn.preprocessing import LabelEncoder

from harness.datasets import so34673164_counties
from harness.params import param

EPOCHS = param("epochs", 20)
BATCH_SIZE = param("batch_size", 16)

dataframe = so34673164_counties.read_csv()
data = dataframe.values
X_train = data[:, 0:16].astype(float)
Y = data[:, 16]

# encode class values as integers
encoder = LabelEncoder()
encoder.fit(Y)
encoded_Y = encoder.transform(Y)

# convert integers to dummy variables (i.e. one hot encoded)
y_train = keras.utils.to_categorical(encoded_Y)

print(X_train)
model = keras.Sequential(
    [
        keras.Input(shape=(16,)),
        layers.Dense(64, kernel_initializer="random_uniform"),
        layers.Activation("tanh"),
        layers.Dropout(0.5),
        layers.Dense(64, kernel_initializer="random_uniform"),
        layers.Activation("tanh"),
        layers.Dropout(0.5),
        layers.Dense(2, kernel_initializer="random_uniform"),
        layers.Activation("softmax"),
    ]
)

# Keras 2's SGD(lr=0.1, decay=1e-6): lr / (1 + decay * iterations)
learning_rate = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=1e-6)
sgd = keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9, nesterov=True)
model.compile(loss="mean_squared_error", optimizer=sgd, metrics=["accuracy"])
model.fit(X_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
