"""GitHub ronnyworm/keras_catsdogs: a small CNN for cats vs dogs on 64x64 colour pictures.

Adapted from the Keras MNIST example: four convolutions with large kernels and few filters
(32@7x7, 20@5x5, 20@5x5, 20@3x3, each followed by ReLU and 2x2 max-pooling), a softmax
Dense(2), Adadelta, batch size 100, 20 epochs. The loss sits at ln 2 = 0.693 for several
epochs before it slowly starts to fall, and test accuracy stays low. The upstream fix uses
smaller 3x3 kernels with more filters (16, 32, 32, 32; one pooling layer fewer) and batch
size 50.

Keras 3 port written from the case spec. Pictures come from ``harness.datasets.catsdogs64``:
the author's zip when cached, else synthetic cat and dog faces. Keras 2.2's Adadelta had a
learning rate of 1.0, Keras 3's defaults to 0.001, so 1.0 is passed explicitly. The
channels_first branch (dead code that reshaped to 1 channel), the unused TensorBoard callback
and the history plots are left out.
"""

import keras
import numpy as np
from keras.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential

from harness.datasets import catsdogs64
from harness.params import param

batch_size = 100
num_classes = 2
epochs = param("epochs", 20)

# input image dimensions
img_rows, img_cols = 64, 64
img_channels = 3

# load my custom data
folders = catsdogs64.load_folders(limit=param("images_per_folder", 1000))
train_dogs = folders["dogs64"].reshape(len(folders["dogs64"]), -1)
train_dogs_y = np.zeros((len(train_dogs), 1))
test_dogs = folders["dogs64_test"].reshape(len(folders["dogs64_test"]), -1)
test_dogs_y = np.zeros((len(test_dogs), 1))
train_cats = folders["cats64"].reshape(len(folders["cats64"]), -1)
train_cats_y = np.ones((len(train_cats), 1))
test_cats = folders["cats64_test"].reshape(len(folders["cats64_test"]), -1)
test_cats_y = np.ones((len(test_cats), 1))

train_both = np.concatenate((train_dogs, train_cats), axis=0)
train_both_y = np.concatenate((train_dogs_y, train_cats_y), axis=0)
test_both = np.concatenate((test_dogs, test_cats), axis=0)
test_both_y = np.concatenate((test_dogs_y, test_cats_y), axis=0)

np.random.seed(1)
np.random.shuffle(train_both)
np.random.seed(1)
np.random.shuffle(train_both_y)
np.random.seed(2)
np.random.shuffle(test_both)
np.random.seed(2)
np.random.shuffle(test_both_y)

# the data, shuffled and split between train and test sets
x_train = train_both.reshape(train_both.shape[0], img_rows, img_cols, img_channels)
y_train = train_both_y
x_test = test_both.reshape(test_both.shape[0], img_rows, img_cols, img_channels)
y_test = test_both_y
input_shape = (img_rows, img_cols, img_channels)

x_train = x_train.astype("float32")
x_test = x_test.astype("float32")
x_train /= 255
x_test /= 255
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# convert class vectors to binary class matrices (-> one-hot-vectors)
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = Sequential()
model.add(keras.Input(shape=input_shape))
model.add(Conv2D(32, kernel_size=(7, 7)))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Conv2D(20, (5, 5)))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))

model.add(Conv2D(20, (5, 5)))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Conv2D(20, (3, 3)))
model.add(Activation("relu"))
# no further Conv2D fits here
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(num_classes))
model.add(Activation("softmax"))

model.compile(
    loss=keras.losses.categorical_crossentropy,
    optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7),
    metrics=["accuracy"],
)

history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    verbose=2,
    validation_data=(x_test, y_test),
)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

# list all data in history
print(history.history.keys())
