"""GitHub tautvydasversockas/MovieReviews_Keras: IMDB review sentiment with a small MLP.

Keras 3 port of ``MovieReviewClassification.py`` as it sits in the DeepLocalize benchmark (the
"Deep Learning with Python" IMDB example, activations as separate layers). Data comes from
``harness.datasets.imdb_reviews``: the Keras IMDB data when cached, else a synthetic
bag-of-words corpus with sentiment words and label noise, in the same word-index format.

What goes wrong: the two hidden layers have no regularisation, so the net overfits the
multi-hot inputs: training accuracy keeps rising while validation accuracy stalls and
validation loss turns upwards. Upstream's fix ("Reduced overfitting by adding dropout layers")
adds Dropout(0.5) after each hidden layer and trains 7 epochs instead of 4.
"""

import keras
import numpy as np
from keras import layers

from harness.datasets import imdb_reviews
from harness.params import param

NUM_WORDS = 10000
EPOCHS = param("epochs", 4)
BATCH_SIZE = param("batch_size", 512)
SAMPLES = param("samples", None)
VALIDATION_SIZE = param("validation_size", 10000)

(train_data, train_labels), (test_data, test_labels) = imdb_reviews.load_data(
    num_words=NUM_WORDS, n_samples=SAMPLES
)


def vectorize_sequences(sequences, dimension=NUM_WORDS):
    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results


x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)
y_train = np.asarray(train_labels).astype("float32")
y_test = np.asarray(test_labels).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(NUM_WORDS,)),
        layers.Dense(16),
        layers.Activation("relu"),
        layers.Dense(16),
        layers.Activation("relu"),
        layers.Dense(1),
        layers.Activation("sigmoid"),
    ]
)
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
    loss=keras.losses.binary_crossentropy,
    metrics=[keras.metrics.binary_accuracy],
)

x_val = x_train[:VALIDATION_SIZE]
partial_x_train = x_train[VALIDATION_SIZE:]
y_val = y_train[:VALIDATION_SIZE]
partial_y_train = y_train[VALIDATION_SIZE:]

history = model.fit(
    partial_x_train,
    partial_y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_data=(x_val, y_val),
    verbose=2,
)

results = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss, test accuracy: {results}")
