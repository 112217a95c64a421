"""GitHub sammyhaq/hotdog-sandwich: a greyscale CNN that tells sandwiches from other foods.

The network (meant to follow comma.ai's steering model) has a feature extractor that does
not reduce the picture: three small unstrided convolutions, each with Dropout(0.5) in front
of its ReLU, flatten 56x56x32 = 100,352 values into a Dense(240) (24 M weights), followed by a
linear Dense(120). Trained with Adam on 64x64 inputs, the loss falls from an early spike to
ln 2 = 0.693 and stays there, accuracy about 0.5: the network predicts a constant. The
upstream fix replaces the extractor with strided 8x8/5x5/5x5 convolutions with ELU, the two
hidden Dense layers with one Dense(512) + ELU, and trains on 128x128 inputs with 5000
(augmented) pictures per class.

Keras 3 port written from the case spec; the author's ImageTools preprocessing (random
rotation, 5x5 box blur, resize, greyscale, histogram equalisation) is re-implemented here with
Pillow and NumPy. Pictures come from ``harness.datasets.hotdog_sandwich``: the repository's
JPEGs when cached, else synthetic band stacks (sandwiches) and blobs (other foods). Keras 2.2
read the author's ``Conv2D(8, 5, 5)`` as a 5x5 kernel; Keras 3 would read strides=5, so the
kernel is written out. The benchmark copy stops after training (the model is not saved).
"""

import numpy as np
from keras.layers import Activation, Conv2D, Dense, Dropout, Flatten, Input
from keras.models import Sequential
from keras.utils import to_categorical
from PIL import Image, ImageFilter
from sklearn.model_selection import train_test_split

from harness.datasets import hotdog_sandwich
from harness.params import param


# --- ImageTools ---------------------------------------------------------------------------
def rotate_img(img, angle):
    # Rotation about the centre, same size, black corners.
    return img.rotate(angle, resample=Image.BILINEAR)


def blur_img(img):
    return img.filter(ImageFilter.BoxBlur(2))  # 5x5 box


def randomize_img(img, img_size):
    theta = np.random.randint(0, 360)
    img = rotate_img(Image.fromarray(img), theta)
    img = blur_img(img)
    return np.asarray(img.resize((img_size, img_size), Image.BILINEAR))


def expand_class(images, label, class_size, img_size):
    x = []
    y = []
    for img in images[:class_size]:
        x.append(randomize_img(img, img_size))
        y.append(label)
    # Adding 'class_size' amount of randomized transformations to the dataset:
    while len(x) < class_size:
        i = np.random.randint(0, len(images))
        x.append(randomize_img(images[i], img_size))
        y.append(label)
    return x, y


def greyscale_imgs(imgs):
    imgs = imgs.astype(np.float32)
    return 0.2989 * imgs[:, :, :, 0] + 0.5870 * imgs[:, :, :, 1] + 0.1140 * imgs[:, :, :, 2]


def equalize_hist(img, nbins=256):
    hist, edges = np.histogram(img, bins=nbins)
    centers = (edges[:-1] + edges[1:]) / 2
    cdf = hist.cumsum() / hist.sum()
    return np.interp(img.ravel(), centers, cdf).reshape(img.shape)


def normalize_imgs(imgs):
    imgs = (imgs / 255.0).astype(np.float32)
    for i in range(imgs.shape[0]):
        imgs[i] = equalize_hist(imgs[i])
    return imgs.reshape(imgs.shape + (1,))


# --- trainModel ---------------------------------------------------------------------------
def network(img_size):
    # CNN based off of comma.ai's research/train_steering_model.py
    net = Sequential()
    net.add(Input(shape=(img_size, img_size, 1)))
    net.add(Conv2D(8, (5, 5), padding="valid"))
    net.add(Dropout(0.5))
    net.add(Activation("relu"))
    net.add(Conv2D(16, (3, 3)))
    net.add(Dropout(0.5))
    net.add(Activation("relu"))
    net.add(Conv2D(32, (3, 3)))
    net.add(Dropout(0.5))
    net.add(Activation("relu"))
    net.add(Flatten())
    net.add(Dense(240))
    net.add(Activation("relu"))
    net.add(Dense(120))
    net.add(Dense(2))
    net.add(Activation("softmax"))
    return net


def main():
    img_size = 64
    class_size = param("class_size", 1000)
    num_epochs = param("epochs", 15)

    # Loading Data
    print("\nImporting data..")
    food_files = hotdog_sandwich.load_images("food", class_size)
    sandwich_files = hotdog_sandwich.load_images("sandwich", class_size)
    print("\t..done.\n")

    print("\nAssigning Labels, Generating more images via transformation..")
    food_x, food_y = expand_class(food_files, 0, class_size, img_size)
    sandwich_x, sandwich_y = expand_class(sandwich_files, 1, class_size, img_size)
    print("\t..done.\n")

    # Arranging
    X = np.array(food_x + sandwich_x)
    y = np.array(food_y + sandwich_y)

    # Greyscaling and normalizing inputs to reduce features and improve comparability
    print("\nGreyscaling and Normalizing Images..")
    X = greyscale_imgs(X)
    X = normalize_imgs(X)
    print("\t..done.\n")
    y = to_categorical(y)

    # Train n' test:
    print("\nSplitting data into training and testing..")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=np.random.randint(0, 100)
    )
    print("\t..done.\n")

    print("\tCalling model..")
    model = network(img_size)  # Calling of CNN
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    print("\t..done.\n")

    print("\nTraining Model..")
    print(X_train.shape)
    print(y_train.shape)
    model.fit(X_train, y_train, epochs=num_epochs, validation_split=0.1, verbose=2)
    print("\t..done.\n")


main()
