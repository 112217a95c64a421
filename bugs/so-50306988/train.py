"""Stack Overflow 50306988: a Keras network fails on a trivially separable two-cluster toy set.

The asker generates two clusters of 2-D points (coordinates uniform in [0.2, 0.4] for class 1 and
in [0.5, 0.7] for class 2), one-hot encodes the labels and trains a 2-2-2 network with a
softmax output and categorical cross-entropy, for 5 epochs. Accuracy stays at 0.5. The
benchmark's fix replaces the 2-unit softmax/categorical cross-entropy by one sigmoid unit with
binary cross-entropy and trains 50 epochs; the two output set-ups are equivalent, and what
really holds the network back is the handful of Adam steps (5 epochs x 7 batches). The data is
generated in the program, as in the original (which did not seed it; the second draw's swapped
bounds are the asker's and sample the same interval).
"""

import keras
import numpy as np
import pandas as pd
from keras.layers import Activation, Dense, Input
from keras.models import Sequential
from sklearn.preprocessing import LabelEncoder

dataset_size = 200
class_1 = np.random.uniform(low=0.2, high=0.4, size=(dataset_size,))
class_2 = np.random.uniform(low=0.7, high=0.5, size=(dataset_size,))

dataset = []
for i in range(0, dataset_size, 2):
    dataset.append([class_1[i], class_1[i + 1], 1])
    dataset.append([class_2[i], class_2[i + 1], 2])
df_train = pd.DataFrame(data=dataset, columns=["x", "y", "class"])
print(df_train.head())

x_train = df_train.iloc[:, 0:-1].values
y_train = df_train.iloc[:, -1]
nr_feats = x_train.shape[1]
nr_classes = y_train.nunique()
print("number of classes", nr_classes)

label_enc = LabelEncoder()
label_enc.fit(y_train)
y_train = keras.utils.to_categorical(label_enc.transform(y_train), nr_classes)

model = Sequential()
model.add(Input(shape=(nr_feats,)))
model.add(Dense(units=2))
model.add(Activation("sigmoid"))
model.add(Dense(units=nr_classes))
model.add(Activation("softmax"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=2)

predicted_classes = np.argmax(model.predict(x_train, verbose=0), axis=1)
print("predicted classes:", np.bincount(predicted_classes, minlength=nr_classes))
