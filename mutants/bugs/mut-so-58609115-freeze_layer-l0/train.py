"""Stack Overflow 58609115: classifying a number by its digit count and leading digit.

The asker maps each integer (1 to about 1e9) to a class code built from its number of digits
and its leading digit, one-hot encodes the codes (69 classes) and trains an MLP on the raw
integer. The benchmark's buggy program uses relu hidden layers and a softmax output with
categorical cross-entropy; fed with unscaled inputs up to 1e9, the network's logits explode,
the loss is enormous and accuracy stays near chance. Data comes from
``harness.datasets.so58609115_export78``: the original ``export78.csv`` when cached, else a
generator following the same rule. The old ``OneHotEncoder(categorical_features=[1])`` is
replaced by encoding the code column directly (one-hot columns first, then the number, as
before).
"""

import numpy as np
import pandas as pd
from keras import Input, Sequential
from keras.layers import Activation, Dense
from keras.metrics import BinaryAccuracy
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from harness.datasets import so58609115_export78

df = so58609115_export78.read_csv()

onehotencoder = OneHotEncoder(sparse_output=False)
codes = onehotencoder.fit_transform(df.iloc[:, [1]])
n_classes = codes.shape[1]  # 69 in the original file
data2 = np.column_stack([codes, df.iloc[:, 0].to_numpy()])
dataset = pd.DataFrame(data2)

X = dataset.iloc[:, n_classes].astype(float)
y = dataset.iloc[:, 0:n_classes].astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
X_train = X_train.to_numpy().reshape(-1, 1)
X_test = X_test.to_numpy().reshape(-1, 1)
print("shape", X_train.shape)

classifier = Sequential()
classifier.add(Input(shape=(1,)))
# First hidden layer
classifier.add(Dense(69, kernel_initializer="random_normal", trainable=False))
classifier.add(Activation("sigmoid"))
# Second hidden layer
classifier.add(Dense(69, kernel_initializer="random_normal"))
classifier.add(Activation("sigmoid"))
# Output layer
classifier.add(Dense(n_classes, kernel_initializer="random_normal"))
classifier.add(Activation("sigmoid"))

classifier.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=[BinaryAccuracy(name="accuracy"), "categorical_accuracy"],
)
classifier.fit(X_train, y_train, batch_size=50, epochs=10, verbose=2)

accr = classifier.evaluate(X_test, y_test, verbose=0)
print(f"Test set\n  Loss: {accr[0]:0.3f}\n  Accuracy: {accr[1]:0.3f}")
