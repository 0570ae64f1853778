"""Characters: :class:`CharPreprocessor`, a text as a character model's ids.

A text is first normalised (when the config names a normalisation, see below), then each
character (a Unicode code point) is looked up in the vocabulary (unknown ones: ``<unk>``), and
the held-out text is read in windows of ``sequence_length`` characters, as in training. Both
steps are written once, in TensorFlow ops (:meth:`CharPreprocessor.graph`: decode the UTF-8
string, map each code point to the ids of its normalised form), used by the training data and,
compiled, by the Python path.

**Normalisation** ``"plain-1"`` (:data:`NORMALIZATION`, :func:`normalize`) maps each character
on its own (per code point: combining sequences are not recomposed) to its plain form:

- :data:`PLAIN_TABLE` first: typographic single quotes and primes (U+2018-U+201B, U+2032,
  U+2035, U+2039, U+203A) -> ``'``; double ones (U+201C-U+201F, U+2033, U+2036, U+00AB,
  U+00BB) -> ``"``; hyphens, figure and en dashes, minus (U+2010-U+2013, U+2212, U+FE63,
  U+FF0D) -> ``-``; em dash and horizontal bar (U+2014, U+2015) -> ``--`` (as the plain-text
  novels write it); ellipsis (U+2026) -> ``...``; line and paragraph separators and NEL (U+2028,
  U+2029, U+0085) -> a newline;
- every other space separator (Unicode category Zs: no-break U+00A0, U+2000-U+200A, U+202F,
  U+205F, U+3000, U+1680) -> `` ``;
- removed: control characters (category Cc) but newline and tab, format characters (Cf: soft
  hyphen, zero widths, BOM, bidi marks), surrogates and U+FFFD (bytes that were not UTF-8);
- then ``unicodedata.normalize("NFKC", ...)`` of the character (ligatures, full-width and
  mathematical letters, superscripts, compatibility forms), its result mapped again until
  nothing changes, so normalising twice is normalising once.

A config without ``"normalization"`` (every character model saved before it existed) does
none: those models read text exactly as before.

Example:
    >>> from zoo.preprocessing import CharPreprocessor
    >>> from zoo.text.vocab import Vocabulary
    >>> chars = CharPreprocessor(Vocabulary.build("hello world"), sequence_length=50)
    >>> chars("hold?").tolist()
    [7, 3, 2, 5, 1]
    >>> CharPreprocessor.from_config(chars.get_config()).sequence_length
    50
    >>> normalize("\\u201cWell\\u2014no\\u2026\\u201d")
    '"Well--no..."'
"""

import functools
import sys
import unicodedata

import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError
from zoo.preprocessing import base
from zoo.text.vocab import Vocabulary

DEFAULT_SEQUENCE_LENGTH = 100
NORMALIZATION = "plain-1"  # the current normalisation; a saved config names the one it used
NORMALIZATIONS = (NORMALIZATION,)

_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a"
_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"
_DASH = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
_LONG_DASH = "\u2014\u2015"
_LINE = "\u2028\u2029\u0085"
# character -> its plain form, applied before NFKC (see the module docstring)
PLAIN_TABLE = {**{c: "'" for c in _SINGLE}, **{c: '"' for c in _DOUBLE},
               **{c: "-" for c in _DASH}, **{c: "--" for c in _LONG_DASH},
               "\u2026": "...", **{c: "\n" for c in _LINE}}
_KEPT_CONTROLS = "\n\t"
_REMOVED_CATEGORIES = ("Cc", "Cf", "Cs")


def _plain(char):
    """One character's plain form, one step (the table, spaces, removals, NFKC)."""
    if char in PLAIN_TABLE:
        return PLAIN_TABLE[char]
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if (category in _REMOVED_CATEGORIES and char not in _KEPT_CONTROLS) or char == "\ufffd":
        return ""
    return unicodedata.normalize("NFKC", char)


@functools.lru_cache(maxsize=1)
def normalization_map():
    """``{code point: its normalised string}`` for every character that normalisation changes
    (``""``: removed); the one definition both :func:`normalize` and the graph use."""
    changed = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        out = _plain(char)
        if out == char:
            continue
        for _ in range(8):  # map the result again until it is stable (NFKC then the table)
            again = "".join(_plain(c) for c in out)
            if again == out:
                break
            out = again
        changed[code] = out
    return changed


def normalize(text, normalization=NORMALIZATION):
    """``text`` in the plain form of ``normalization`` (``None``: unchanged); see the module
    docstring for what maps to what."""
    if normalization is None:
        return text
    return text.translate(normalization_map())


def check_config(config, fail):
    """The checks of a ``"characters"`` config."""
    extra = set(config) - {"kind", "vocabulary", "sequence_length", "normalization"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not a character setting)")
    base.check_vocabulary(config.get("vocabulary"), f"{base.KEY}.vocabulary", fail)
    if not base.whole(config.get("sequence_length", DEFAULT_SEQUENCE_LENGTH), 1, 1_000_000):
        fail(f"{base.KEY}.sequence_length", "a whole number from 1 to 1,000,000")
    if config.get("normalization") not in (None, *NORMALIZATIONS):
        fail(f"{base.KEY}.normalization", f"one of {list(NORMALIZATIONS)} (or absent: none)")


base.CHECKS["characters"] = check_config


class CharPreprocessor(base.Preprocessor):
    """A text as character ids.

    Args:
        vocabulary: a :class:`~zoo.text.vocab.Vocabulary` of single characters (or its
            ``to_dict()`` data).
        sequence_length: the window the model was trained on (held-out text is measured in
            windows of it).
        normalization: ``"plain-1"`` (see the module docstring) or ``None`` (the text as it
            is, as the models saved before normalisation existed read it).
    """

    kind = "characters"

    def __init__(self, vocabulary, sequence_length=DEFAULT_SEQUENCE_LENGTH, normalization=None):
        self.vocabulary = vocabulary if isinstance(vocabulary, Vocabulary) \
            else Vocabulary.from_dict(vocabulary)
        self.sequence_length = int(sequence_length)
        if normalization not in (None, *NORMALIZATIONS):
            raise ConfigError(f"normalization must be one of {list(NORMALIZATIONS)} or None, "
                             f"got {normalization!r}")
        self.normalization = normalization
        self._function = None
        self._table = None
        self._rows = None

    def get_config(self):
        config = {"sequence_length": self.sequence_length,
                  "vocabulary": self.vocabulary.to_dict()}
        if self.normalization is not None:  # absent in the configs saved before it existed
            config["normalization"] = self.normalization
        return config

    def normalize(self, text):
        """``text`` as this preprocessor normalises it (unchanged without a normalisation)."""
        return normalize(text, self.normalization)

    def _unk_id(self):
        vocab = self.vocabulary
        return int(vocab.unk_id if vocab.unk_id is not None else 0)

    def lookup_table(self):
        """The vocabulary as a TensorFlow table: code point -> id (unknown: ``<unk>``); with a
        normalisation, code point -> row of :meth:`id_rows` (the ids of its normalised form)."""
        if self._table is None:
            vocab = self.vocabulary
            chars = [t for t in vocab.tokens if len(t) == 1 and t not in vocab.specials]
            keys, values = [ord(c) for c in chars], [vocab.id(c) for c in chars]
            default, rows = self._unk_id(), None
            if self.normalization is not None:
                changed = normalization_map()
                rows, index = [(default,)], {(default,): 0}  # row 0: an unknown character
                keys, values = [], []
                for code, ids in [*[(ord(c), (vocab.id(c),)) for c in chars
                                    if ord(c) not in changed],
                                  *[(code, tuple(vocab.id(c) if c in vocab else default
                                                 for c in out))
                                    for code, out in changed.items()]]:
                    if ids not in index:
                        index[ids] = len(rows)
                        rows.append(ids)
                    keys.append(code)
                    values.append(index[ids])
                default = 0
            with tf.init_scope():  # made eagerly, even when first asked for inside a graph
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(tf.constant(keys, tf.int32),
                                                        tf.constant(values, tf.int32)),
                    default_value=default)
                if rows is not None:
                    self._rows = tf.RaggedTensor.from_row_lengths(
                        tf.constant([i for row in rows for i in row], tf.int32),
                        tf.constant([len(row) for row in rows], tf.int64))
        return self._table

    def graph(self, text):
        """A UTF-8 string tensor (a scalar) as int32 ids ``(length,)``: TensorFlow ops."""
        table = self.lookup_table()
        codes = tf.strings.unicode_decode(text, "UTF-8")
        if self._rows is None:
            return table.lookup(codes)
        return tf.gather(self._rows, table.lookup(codes)).flat_values

    def __call__(self, text):
        """The ids of the characters of ``text`` as an int32 array (runs :meth:`graph`,
        compiled)."""
        if not text:
            return np.zeros((0,), dtype=np.int32)

        if self._function is None:
            self._function = tf.function(self.graph, input_signature=[
                tf.TensorSpec((), tf.string)], autograph=False)
        data = text.encode("utf-8", "surrogatepass")
        return self._function(tf.constant(data)).numpy().astype(np.int32)
