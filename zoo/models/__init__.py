"""The model families. Importing this package registers every named model."""

from zoo.models import char_rnn, cnn, mlp  # noqa: F401  (registers the variants)
