"""Characters: :class:`CharPreprocessor`, a text as a character model's ids.

Each character (a Unicode code point) is looked up in the vocabulary (unknown ones: ``<unk>``),
and the held-out text is read in windows of ``sequence_length`` characters, as in training. The
lookup is written once, in TensorFlow ops (:meth:`CharPreprocessor.graph`: decode the UTF-8
string, look the code points up), used by the training data and, compiled, by the Python path.

Example:
    >>> from zoo.preprocessing import CharPreprocessor
    >>> from zoo.text.vocab import Vocabulary
    >>> chars = CharPreprocessor(Vocabulary.build("hello world"), sequence_length=50)
    >>> chars("hold?").tolist()
    [7, 3, 2, 5, 1]
    >>> CharPreprocessor.from_config(chars.get_config()).sequence_length
    50
"""

import numpy as np

from zoo.preprocessing import base
from zoo.text.vocab import Vocabulary

DEFAULT_SEQUENCE_LENGTH = 100


def check_config(config, fail):
    """The checks of a ``"characters"`` config."""
    extra = set(config) - {"kind", "vocabulary", "sequence_length"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not a character setting)")
    base.check_vocabulary(config.get("vocabulary"), f"{base.KEY}.vocabulary", fail)
    if not base.whole(config.get("sequence_length", DEFAULT_SEQUENCE_LENGTH), 1, 1_000_000):
        fail(f"{base.KEY}.sequence_length", "a whole number from 1 to 1,000,000")


base.CHECKS["characters"] = check_config


class CharPreprocessor(base.Preprocessor):
    """A text as character ids.

    Args:
        vocabulary: a :class:`~zoo.text.vocab.Vocabulary` of single characters (or its
            ``to_dict()`` data).
        sequence_length: the window the model was trained on (held-out text is measured in
            windows of it).
    """

    kind = "characters"

    def __init__(self, vocabulary, sequence_length=DEFAULT_SEQUENCE_LENGTH):
        self.vocabulary = vocabulary if isinstance(vocabulary, Vocabulary) \
            else Vocabulary.from_dict(vocabulary)
        self.sequence_length = int(sequence_length)
        self._function = None
        self._table = None

    def get_config(self):
        return {"sequence_length": self.sequence_length, "vocabulary": self.vocabulary.to_dict()}

    def lookup_table(self):
        """The vocabulary as a TensorFlow table: code point -> id (unknown: ``<unk>``)."""
        if self._table is None:
            import tensorflow as tf

            vocab = self.vocabulary
            chars = [t for t in vocab.tokens if len(t) == 1 and t not in vocab.specials]
            with tf.init_scope():  # made eagerly, even when first asked for inside a graph
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(
                        tf.constant([ord(c) for c in chars], tf.int32),
                        tf.constant([vocab.id(c) for c in chars], tf.int32)),
                    default_value=int(vocab.unk_id if vocab.unk_id is not None else 0))
        return self._table

    def graph(self, text):
        """A UTF-8 string tensor (a scalar) as int32 ids ``(length,)``: TensorFlow ops."""
        import tensorflow as tf

        return self.lookup_table().lookup(tf.strings.unicode_decode(text, "UTF-8"))

    def __call__(self, text):
        """The ids of the characters of ``text`` as an int32 array (runs :meth:`graph`,
        compiled)."""
        if not text:
            return np.zeros((0,), dtype=np.int32)
        import tensorflow as tf

        if self._function is None:
            self._function = tf.function(self.graph, input_signature=[
                tf.TensorSpec((), tf.string)], autograph=False)
        data = text.encode("utf-8", "surrogatepass")
        return self._function(tf.constant(data)).numpy().astype(np.int32)
