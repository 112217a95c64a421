"""Stack Overflow 50079585: a CNN grading car damage (minor / moderate / severe) learns nothing.

The asker adapts the Keras "small data" image-classification example to the three-class
severity subset of a car-damage photo set: three convolution blocks (32, 32, 64 filters, 3x3,
ReLU, 2x2 max pooling), a 64-unit ReLU layer with dropout 0.5, trained with RMSprop for 10
epochs from directory iterators (150x150 images rescaled by 1/255, batches of 16,
steps = samples // batch size). The network still ends in the example's single sigmoid unit
with binary cross-entropy and the iterators use class_mode 'binary', so the labels are the
class indices 0, 1 and 2: the "cross-entropy" of label 2 is unbounded below and meaningless,
and accuracy stays near chance. The original trained with ``fit_generator``; here ``fit`` runs
on a Python generator with the same ``steps_per_epoch``. Data comes from
``harness.datasets.car_damage``: the original photos when cached, else scikit-learn's digits
0/1/2 as colour images; the iterators' training augmentation (shear, zoom, flips) is left out.
"""

import keras
import numpy as np
from keras import layers

from harness.datasets import car_damage
from harness.params import param

img_width, img_height = param("img_width", 150), param("img_height", 150)
epochs = param("epochs", 10)
batch_size = 16

(x_train, y_train), (x_validation, y_validation) = car_damage.load_data((img_width, img_height))
nb_train_samples = len(x_train)
nb_validation_samples = len(x_validation)
num_classes = 3


def flow(images, labels, batch_size, class_mode):
    """Endless batches like ImageDataGenerator(rescale=1/255).flow_from_directory(...)."""
    while True:
        order = np.random.permutation(len(images))
        for start in range(0, len(images), batch_size):
            index = order[start : start + batch_size]
            x = images[index] * (1.0 / 255)
            if class_mode == "binary":
                y = labels[index].astype("float32")
            else:
                y = keras.utils.to_categorical(labels[index], num_classes)
            yield x, y


input_shape = (img_width, img_height, 3)
model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), kernel_initializer=keras.initializers.RandomNormal(stddev=100.0)),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, (3, 3)),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, (3, 3)),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(64),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(3),
        layers.Activation("softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])

train_generator = flow(x_train, y_train, batch_size, class_mode="categorical")
validation_generator = flow(x_validation, y_validation, batch_size, class_mode="categorical")

model.fit(
    train_generator,
    steps_per_epoch=nb_train_samples // batch_size,
    epochs=epochs,
    validation_data=validation_generator,
    validation_steps=nb_validation_samples // batch_size,
    verbose=2,
)
