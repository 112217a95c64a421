"""GitHub ulmefors/Traffic-Sign-Classifier: a small CNN for the German Traffic Sign benchmark.

Keras 3 port of ``train.py`` as it sits in the DeepLocalize benchmark (activations as separate
layers). Data comes from ``harness.datasets.gtsrb_signs``: Udacity's 32x32 GTSRB training part
when cached, else synthetic signs (shape x rim colour x digit glyph) with GTSRB's class
frequencies. The model normalises the uint8 images itself (x / 255 - 0.5).

What goes wrong, per upstream's fix commit ("update activation functions"): the first three
convolutions use ReLU where the author settled on sigmoid (1x1 colour-mixing conv) and ELU (the
next two). In the paper the buggy run actually scored better (0.30/0.91 vs 0.46/0.86), and on
the stand-in the ReLU version also learns faster: no failure is visible in the metrics.
"""

import keras
from keras import layers
from sklearn.model_selection import train_test_split

from harness.datasets import gtsrb_signs
from harness.params import param

N_CLASSES = 43
EPOCHS = param("epochs", 10)
BATCH_SIZE = param("batch_size", 512)
SAMPLES = param("samples", None)

features, labels = gtsrb_signs.load_data(n_samples=SAMPLES)
X_train, X_valid, y_train, y_valid = train_test_split(
    features, labels, test_size=0.2, random_state=0
)
y_train = keras.utils.to_categorical(y_train, N_CLASSES)
y_valid = keras.utils.to_categorical(y_valid, N_CLASSES)
print(f"train {X_train.shape}, validation {X_valid.shape}")

model = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        layers.Rescaling(1.0 / 255, offset=-0.5),
        layers.Conv2D(3, (1, 1)),
        layers.Activation("relu"),
        layers.Conv2D(16, (5, 5), strides=(2, 2)),
        layers.Activation("relu"),
        layers.Conv2D(32, (3, 3)),
        layers.Activation("relu"),
        layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
        layers.Conv2D(64, (3, 3)),
        layers.Activation("relu"),
        layers.Conv2D(128, (3, 3)),
        layers.Activation("relu"),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(128),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(N_CLASSES),
        layers.Activation("softmax"),
    ]
)
model.summary()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    X_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    validation_data=(X_valid, y_valid),
    verbose=2,
)
