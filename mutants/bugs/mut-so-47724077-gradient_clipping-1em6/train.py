"""Stack Overflow 47724077: an MLP on the UCI Adult census data with a huge loss.

The asker predicts income > 50K from the 14 raw Adult columns: the categorical columns are
label-encoded and one-hot encoded, the numeric ones (age, fnlwgt, capital-gain, ...) are left
unscaled, and a 14-21-2 network (separate ReLU and softmax activations) is trained with Adam
and categorical cross-entropy for 50 epochs in batches of 100. The loss stays in the tens and
the accuracy below the 76 % majority rate. The benchmark's fix swaps Adam for plain SGD; the
root cause is the unscaled input (fnlwgt in the hundreds of thousands). Data comes from
``harness.datasets.uci_adult``: the original ``adult.data`` when cached, else a synthetic table
with Adult's columns and scales.
"""

import keras
import numpy as np
from keras import layers
from sklearn.preprocessing import LabelEncoder, OneHotEncoder

from harness.datasets import uci_adult
from harness.params import param

EPOCHS = param("epochs", 50)
BATCH_SIZE = 100

data = uci_adult.read_csv()
for column in [1, 3, 5, 6, 7, 8, 9, 13]:
    codes = LabelEncoder().fit_transform(data[column])
    onehot = OneHotEncoder().fit_transform(codes.reshape(-1, 1)).toarray()
    # The asker assigned the whole one-hot array back into the single column; pandas 1.1.5
    # silently kept its first column (the indicator of the first category), newer pandas
    # refuses, so that first column is written explicitly.
    data[column] = onehot[:, 0]

X = data.iloc[:, 0:14].to_numpy().astype(np.float64)
Y = keras.utils.to_categorical(LabelEncoder().fit_transform(data[14]))

model = keras.Sequential(
    [
        keras.Input(shape=(14,)),
        layers.Dense(21),
        layers.Activation("relu"),
        layers.Dense(2),
        layers.Activation("softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.01, clipvalue=1e-06), metrics=["accuracy"])
model.fit(X, Y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
scores = model.evaluate(X, Y, verbose=0)
print(f"accuracy: {scores[1] * 100:.2f}%")
