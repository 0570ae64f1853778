"""Vanishing gradients, and what unlocked deep networks: ReLU, and greedy layer-wise pretraining.

Four deep MLPs of the same shape (8 hidden layers) are trained the same way with plain SGD:
sigmoid, tanh and ReLU hidden units, and sigmoid units whose layers were first pretrained one by
one as autoencoders, each on the codes of the layer below (stacked autoencoders, after Hinton,
Osindero & Teh 2006 and Bengio et al. 2007). Measured: the gradient norm of every layer's kernel
on a fixed batch of training digits, at initialisation and after each epoch (the ratio of the
first hidden layer's to the output layer's is the headline), and the test accuracy after each
epoch.
"""

import numpy as np

import keras
import tensorflow as tf

from zoo.experiments import _common
from zoo.models.mlp import build_mlp

TITLE = "Vanishing gradients and layer-wise pretraining"
CLAIM = ("With sigmoid units the gradient shrinks layer by layer towards the input, and the deep "
         "network barely learns; tanh, ReLU, or layer-wise pretraining of the sigmoid network "
         "fix it.")
FULL = {"depth": 8, "width": 128, "epochs": 8, "batch_size": 64, "learning_rate": 0.1,
        "pretrain_epochs": 1, "probe": 1000}
QUICK = {"depth": 8, "width": 64, "epochs": 6, "batch_size": 16, "learning_rate": 0.1,
         "pretrain_epochs": 5, "probe": 200}
RUNS = ("sigmoid", "tanh", "relu", "sigmoid + pretraining")


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def gradient_norms(model, x, y):
    """The L2 norm of the loss gradient for each Dense kernel, input side first."""
    layers = _dense_layers(model)
    kernels = [layer.kernel for layer in layers]
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, kernels)
    return [float(tf.norm(g)) for g in grads]


def pretrain_layers(model, x, *, epochs, batch_size, seed, learning_rate=3e-3):
    """Greedy layer-wise pretraining: each hidden layer in turn learns, as the encoder of an
    autoencoder, to reconstruct its input (the codes of the layer below), then keeps its weights.

    Each autoencoder sees its input standardised (zero mean, unit variance per unit), with a
    linear decoder and a squared-error loss; the standardisation is then folded into the encoder's
    weights (``W / sd``, ``b - (mean / sd) W``), so the layer computes exactly what it learned on the
    raw codes. Without it the codes of the upper layers, whose spread shrinks layer by layer,
    are reconstructed by their mean alone and carry nothing up.
    """
    hidden = _dense_layers(model)[:-1]
    codes = x.reshape(len(x), -1).astype("float32")
    for index, layer in enumerate(hidden):
        keras.utils.set_random_seed(seed + index)
        mean, sd = codes.mean(axis=0), codes.std(axis=0) + 1e-3
        scaled = (codes - mean) / sd
        inputs = keras.Input(shape=(codes.shape[1],))
        encoder = keras.layers.Dense(layer.units, activation="sigmoid")
        decoder = keras.layers.Dense(codes.shape[1])
        autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
        autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse",
                            jit_compile=False)
        autoencoder.fit(scaled, scaled, epochs=epochs, batch_size=batch_size, shuffle=True,
                        verbose=0)
        kernel, bias = encoder.get_weights()
        kernel = kernel / sd[:, None]
        layer.set_weights([kernel, bias - mean @ kernel])
        codes = np.asarray(keras.ops.sigmoid(codes @ kernel + layer.bias.numpy()))


def run(digits, settings, seed):
    _common.require_tensorflow("vanishing-gradients")
    rng = np.random.default_rng(seed)
    probe = _common.balanced_subset(digits.y_train, min(settings["probe"], len(digits.y_train)),
                                    rng)
    x_probe, y_probe = digits.x_train[probe], digits.y_train[probe]
    series = {}
    for label in RUNS:
        activation = label.split(" ")[0]
        keras.utils.set_random_seed(seed)
        model = build_mlp(hidden_units=(settings["width"],) * settings["depth"],
                          activation=activation, dropout=0.0, name=label.replace(" + ", "_"))
        if label.endswith("pretraining"):
            pretrain_layers(model, digits.x_train, epochs=settings["pretrain_epochs"],
                            batch_size=settings["batch_size"], seed=seed)
        _common.compile_classifier(model, optimizer="sgd",
                                   learning_rate=settings["learning_rate"])
        norms = [gradient_norms(model, x_probe, y_probe)]
        accuracy, loss = _common.measure(model, digits.x_test, digits.y_test)
        curve = {"test_accuracy": [accuracy], "test_loss": [loss]}

        def after(epoch):
            norms.append(gradient_norms(model, x_probe, y_probe))
            acc, lss = _common.measure(model, digits.x_test, digits.y_test)
            curve["test_accuracy"].append(acc)
            curve["test_loss"].append(lss)

        _common.train_epochs(model, digits.x_train, digits.y_train, epochs=settings["epochs"],
                             batch_size=settings["batch_size"], seed=seed, on_epoch=after)
        series[label] = {"gradient_norms": norms, **curve}
    figures = {}
    for label, data in series.items():
        first, last = data["gradient_norms"][0][0], data["gradient_norms"][0][-1]
        figures[f"{label}: first/last gradient norm at init"] = first / last
        figures[f"{label}: test accuracy after {settings['epochs']} epochs"] = \
            data["test_accuracy"][-1]
    return {"figures": figures, "series": series}


def holds(result):
    """The direction of the effect, read from the figures."""
    f, epochs = result["figures"], result["settings"]["epochs"]
    ratio = {label: f[f"{label}: first/last gradient norm at init"] for label in RUNS}
    accuracy = {label: f[f"{label}: test accuracy after {epochs} epochs"] for label in RUNS}
    return {
        "sigmoid's gradient vanishes more than tanh's and ReLU's":
            ratio["sigmoid"] < ratio["tanh"] and ratio["sigmoid"] < ratio["relu"],
        "ReLU beats sigmoid": accuracy["relu"] > accuracy["sigmoid"] + 0.1,
        "pretraining rescues sigmoid": accuracy["sigmoid + pretraining"] > accuracy["sigmoid"] + 0.1,
    }


def plot(result):
    series, epochs = result["series"], result["settings"]["epochs"]
    fig, (left, middle, right) = _common.figure(width=12.0, columns=3)
    for label, data in series.items():
        colour = _common.COLOURS[label]
        norms = data["gradient_norms"][0]
        left.semilogy(range(1, len(norms) + 1), norms, marker="o", label=label, color=colour)
        first = [per_layer[0] for per_layer in data["gradient_norms"]]
        middle.semilogy(range(len(first)), first, marker="o", label=label, color=colour)
        right.plot(range(epochs + 1), data["test_accuracy"], marker="o", label=label,
                   color=colour)
    left.set(title="Gradient norm per layer, before training\n(green: after pretraining)",
             xlabel="dense layer (1 = first hidden, last = output)", ylabel="‖∂loss/∂W‖")
    middle.set(title="First hidden layer's gradient norm\nover training", xlabel="epoch",
               ylabel="‖∂loss/∂W₁‖")
    right.set(title="Test accuracy (plain SGD)", xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    right.legend(fontsize="small")
    return fig
