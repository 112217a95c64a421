"""Stack Overflow 31627380: a Keras MLP for the Kaggle Titanic task reports low accuracy.

The asker label-encodes every categorical column (Name, Ticket and Cabin become integers up to
~1300) and feeds the unscaled codes to a 512-unit relu layer with a 2-unit softmax output and
categorical cross-entropy. The loss starts in the tens and the accuracy stays below the
majority rate. The accepted answer changes the output to sigmoid with binary cross-entropy.
Keras 3 port of the benchmark's buggy copy (activations as separate layers). Data comes from
``harness.datasets.titanic``: the Kaggle files when cached, else a synthetic passenger table.
"""

import numpy as np
import pandas as pd
from keras import layers
from keras.models import Sequential
from keras.utils import to_categorical
from sklearn import preprocessing

from harness.datasets import titanic
from harness.params import param

### Constants ###
batch_size = param("batch_size", 4)
nb_epoch = param("epochs", 10)

### load train and test ###
train, test = titanic.load_data()
print("Data Read complete")

Y = train.Survived
Y = to_categorical(Y)
train = train.drop("Survived", axis=1)

columns = train.columns
test_ind = test.index

train["Age"] = train["Age"].fillna(train["Age"].mean())
test["Age"] = test["Age"].fillna(test["Age"].mean())
train["Fare"] = train["Fare"].fillna(train["Fare"].mean())
test["Fare"] = test["Fare"].fillna(test["Fare"].mean())

category_index = [0, 1, 2, 4, 5, 6, 8, 9]
for i in category_index:
    print(str(i) + " : " + columns[i])
    train[columns[i]] = train[columns[i]].astype(object).fillna("missing")
    test[columns[i]] = test[columns[i]].astype(object).fillna("missing")

train = np.array(train)
test = np.array(test)

### label encode the categorical variables ###
for i in category_index:
    print(str(i) + " : " + str(columns[i]))
    lbl = preprocessing.LabelEncoder()
    lbl.fit(list(train[:, i]) + list(test[:, i]))
    train[:, i] = lbl.transform(train[:, i])
    test[:, i] = lbl.transform(test[:, i])

### making data as numpy float ###
train = train.astype(np.float32)
test = test.astype(np.float32)

model = Sequential()
model.add(layers.Input(shape=(len(columns),)))
model.add(layers.Dense(512))
model.add(layers.Activation("relu"))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(2))
model.add(layers.Activation("softmax"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(train, Y, epochs=nb_epoch, batch_size=batch_size, validation_split=0.20, verbose=2)
preds = model.predict(test, batch_size=batch_size, verbose=0)

pred_arr = []
for pred in preds:
    pred_arr.append(pred[0])

### Output Results ###
preds = pd.DataFrame({"PassengerId": test_ind, "Survived": pred_arr})
preds = preds.set_index("PassengerId")
