"""The model families. Importing this package registers every named model."""

from zoo.models import char_rnn, cnn, mlp, translation  # noqa: F401  (registers the variants)
from zoo.models import autoencoder  # noqa: F401,E402
from zoo.models import captioning  # noqa: F401,E402
