"""The model families. Importing this package registers every named model."""

from zoo.models import (  # noqa: F401  (each module registers its variants)
    autoencoder,
    captioning,
    char_rnn,
    cnn,
    mlp,
    translation,
)
