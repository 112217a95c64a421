"""GitHub kcct-fujimotolab/keras-super-resolution: an SRCNN-style network for 2x super-resolution.

Each photo becomes an input (shrunk to half size, then enlarged back with nearest-neighbour
resampling: blocky) and a target (the photo at full size), both scaled to [0, 1]. The large
network (Conv 256@9x9 -> ReLU -> Conv 128@3x3 -> ReLU -> Conv 3@5x5 -> sigmoid) is compiled
with binary cross-entropy and Adam at a learning rate of 1e-4, and trained for 50 epochs: it
converges slowly and its loss plateaus far above what the fix reaches. The upstream fix
compiles with mean squared error and Adam at 1e-3 and trains 3000 epochs by default.

Keras 3 port written from the case spec (the author's ``modules/image.py`` loader and
``networks/large.py`` model are inlined). Photos come from
``harness.datasets.super_resolution_images``: the cached JPEG folder, else square crops of
scikit-learn's two sample photos. Keras 2.2 resolved the author's 'accuracy' to binary
accuracy (the loss is binary cross-entropy), so it is asked for as ``BinaryAccuracy`` under
the author's log name ``accuracy`` (what EarlyStopping(monitor='accuracy') reads).
Resampling is set to NEAREST explicitly, as Pillow defaulted to in 2017. The benchmark copy
stops after training (no weights saved, no test run).
"""

from argparse import ArgumentParser

import numpy as np
from keras.layers import Activation, Conv2D, Input
from keras.metrics import BinaryAccuracy
from keras.models import Sequential
from keras.optimizers import Adam
from PIL import Image

from harness.datasets import super_resolution_images
from harness.params import param


def get_args():
    description = "Build SRCNN models and train"
    parser = ArgumentParser(description=description)
    parser.add_argument("-z", "--size", type=int, nargs=2, default=[128, 128],
                        help="image size after expansion")
    parser.add_argument("-b", "--batch", type=int, default=64, help="batch size")
    parser.add_argument("-e", "--epoch", type=int, default=50, help="number of epochs")
    return parser.parse_args()


def load_images(images, size):
    """Inputs (half size, enlarged back, blocky) and targets (full size), scaled to [0, 1]."""
    x_images = []
    y_images = []
    for image in images:
        image = image.convert("RGB")
        # shrink, then enlarge
        x_image = image.resize((size[0] // 2, size[1] // 2), Image.NEAREST)
        x_image = x_image.resize(tuple(size), Image.NEAREST)
        y_image = image.resize(tuple(size), Image.NEAREST)
        x_images.append(np.array(x_image))
        y_images.append(np.array(y_image))
    x_images = np.array(x_images) / 255
    y_images = np.array(y_images) / 255
    return x_images.astype("float32"), y_images.astype("float32")


def build_model(image_size, filters=(256, 128)):
    model = Sequential()
    model.add(Input(shape=(image_size[0], image_size[1], 3)))
    model.add(Conv2D(filters[0], (9, 9), padding="same"))
    model.add(Activation("relu"))
    model.add(Conv2D(filters[1], (3, 3), padding="same"))
    model.add(Activation("relu"))
    model.add(Conv2D(3, (5, 5), padding="same"))
    model.add(Activation("sigmoid"))
    return model


def main():
    args = get_args()
    side = param("size", args.size[0])
    image_size = [side, side]  # image size
    batch = args.batch  # batch size
    epochs = param("epochs", args.epoch)  # passes over the data
    filters = (param("filters1", 256), param("filters2", 128))
    # training
    photos = super_resolution_images.load_images(param("images", 100), side, 3 * side)
    x_images, y_images = load_images(photos, image_size)
    model = build_model(image_size, filters)
    optimizer = Adam(learning_rate=0.0001)
    accuracy = BinaryAccuracy(name="accuracy")  # Keras 2.2's 'accuracy' under BCE
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=[accuracy])
    model.summary()
    model.fit(x_images, y_images, batch_size=batch, epochs=epochs, verbose=2)


if __name__ == "__main__":
    main()
