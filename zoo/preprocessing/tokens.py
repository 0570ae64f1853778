"""Word tokens: :class:`WordTokenPreprocessor`, a translator's sentences as token ids.

A sentence is split into words and punctuation by :func:`zoo.text.tokenize.tokenize` (lower-cased
when the model was trained so); the ids are looked up, the source reversed when the model reads
it backwards (Sutskever et al. 2014), and a batch right-padded to a multiple of 8. The lookup,
reversal and padding are written once, in TensorFlow ops (:meth:`WordTokenPreprocessor.graph`,
for ``tf.data`` and graphs fed token strings); the Python path runs them as one compiled
function.

A text of several sentences is read one sentence at a time when the preprocessor says
``sentences="split"`` (:func:`sentences_of`): a new translator's run sets it (the models learn
from single sentences and messages, and a long text read whole loses its way); a warm start or
a re-measurement keeps its source's setting. A saved config without the setting (the weights
published before it existed) reads a text whole, as those weights were measured.

Example:
    >>> from zoo.preprocessing import WordTokenPreprocessor
    >>> from zoo.text.vocab import Vocabulary
    >>> source = Vocabulary(["hello", "world", "!"])
    >>> target = Vocabulary(["hola", "mundo"], specials=["<pad>", "<unk>", "<s>", "</s>"])
    >>> words = WordTokenPreprocessor(source, target, lowercase=True, reverse_source=True)
    >>> words.tokens("Hello, World!")
    ['hello', ',', 'world', '!']
    >>> words(["Hello, World!"]).tolist()
    [[4, 3, 1, 2, 0, 0, 0, 0]]
"""

import re

import numpy as np
import tensorflow as tf

from zoo.errors import DataError
from zoo.preprocessing import base
from zoo.text.tokenize import detokenize, tokenize
from zoo.text.vocab import Vocabulary

TOKENIZER = "words/1"  # zoo.text.tokenize, version 1
PAD_TO = 8  # batches are padded to a multiple of this many tokens (few shapes to compile)
SENTENCES = ("whole", "split")  # how a text of several sentences is read (see sentences_of)

# a sentence ends at . ! or ? (and closing quotes or brackets) followed by a space and what
# starts a sentence: a capital letter, a digit, an opening quote or bracket, Spanish's ¿ and ¡
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[¿¡0-9A-ZÀ-ÖØ-Þ])")
# ... but not after these abbreviations, a single letter ("J. Smith"), a word with a full stop
# inside ("e.g.", "U.S."), nor "No." before a number
ABBREVIATIONS = frozenset({"etc", "vs", "cf", "mr", "mrs", "ms", "dr", "st", "fig", "approx",
                           "ca", "resp", "jr", "sr", "prof", "inc", "ltd"})


def sentences_of(text):
    """The sentences of a text, in order, each stripped: cut after ``.``, ``!`` or ``?`` (and
    any closing quotes or brackets) where a space and a sentence start follow (a capital, a
    digit, an opening quote or bracket, ``¿``, ``¡``), not after an abbreviation of
    :data:`ABBREVIATIONS`, a single letter, a word with a full stop inside, or "No." before a
    number. A text of one sentence (or of none: blank) gives a list of itself stripped.
    Not cut: after an ellipsis character, before a lower-case word, at a line break alone.

    Example:
        >>> sentences_of("Save the file. Close it, e.g. with Ctrl+W! Done?  Yes.")
        ['Save the file.', 'Close it, e.g. with Ctrl+W!', 'Done?', 'Yes.']
    """
    sentences, start = [], 0
    for match in _SENTENCE_BREAK.finditer(text):
        end = match.start(1)
        word = re.search(r"[\w.]+$", text[start:end - 1]) if text[end - 1] == "." else None
        word = word.group(0) if word else ""
        if word and (len(word) == 1 and not word.isdigit() or "." in word
                     or word.lower() in ABBREVIATIONS
                     or word.lower() == "no" and text[match.end():match.end() + 1].isdigit()):
            continue
        sentences.append(text[start:match.end(1)].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s] or [text.strip()]


def check_config(config, fail):
    """The checks of a ``"word_tokens"`` config."""
    extra = set(config) - {"kind", "source_vocab", "target_vocab", "lowercase",
                           "reverse_source", "max_tokens", "min_count", "tokenizer", "sentences"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not a word token setting)")
    check_sentences(config, fail)
    for side in ("source_vocab", "target_vocab"):
        base.check_vocabulary(config.get(side), f"{base.KEY}.{side}", fail)
    if not base.whole(config.get("max_tokens"), 1, 65_536):
        fail(f"{base.KEY}.max_tokens", "a whole number from 1 to 65,536")
    if not base.whole(config.get("min_count", 1), 1, 2**31 - 1):
        fail(f"{base.KEY}.min_count", "a whole number of at least 1")
    for flag in ("lowercase", "reverse_source"):
        if not isinstance(config.get(flag, False), bool):
            fail(f"{base.KEY}.{flag}", "true or false")
    if config.get("tokenizer", TOKENIZER) != TOKENIZER:
        fail(f"{base.KEY}.tokenizer", f"{TOKENIZER!r} (the tokenizer of this zoo; the model "
             "was trained by another version)")


base.CHECKS["word_tokens"] = check_config


def check_sentences(config, fail):
    """A config's ``"sentences"`` setting, when it has one: one of :data:`SENTENCES`."""
    if config.get("sentences", "whole") not in SENTENCES:
        fail(f"{base.KEY}.sentences", f"one of {list(SENTENCES)}")


def _vocabulary(value):
    return value if isinstance(value, Vocabulary) else Vocabulary.from_dict(value)


class WordTokenPreprocessor(base.Preprocessor):
    """Sentences as a translator's source ids, and the vocabularies of both sides.

    Args:
        source_vocab, target_vocab: :class:`~zoo.text.vocab.Vocabulary` objects (or their
            ``to_dict()`` data).
        lowercase: lower-case the text before tokenizing.
        reverse_source: feed the source tokens in reverse order.
        max_tokens: the longest sentence (in tokens) trained on; longer input is split or cut.
        min_count: how often a token occurred in training to enter a vocabulary.
        tokenizer: the tokenizer's name and version (``"words/1"``).
        sentences: ``"split"``: a text of several sentences is read one sentence at a time
            (:meth:`segments`); ``"whole"`` (a config without the setting): read as it is.
    """

    kind = "word_tokens"

    def __init__(self, source_vocab, target_vocab, *, lowercase=False, reverse_source=False,
                 max_tokens=20, min_count=1, tokenizer=TOKENIZER, sentences="whole"):
        if sentences not in SENTENCES:
            raise DataError(f"sentences must be one of {list(SENTENCES)}, got {sentences!r}")
        self.sentences = sentences
        self.source_vocab = _vocabulary(source_vocab)
        self.target_vocab = _vocabulary(target_vocab)
        self.lowercase = bool(lowercase)
        self.reverse_source = bool(reverse_source)
        self.max_tokens = int(max_tokens)
        self.min_count = int(min_count)
        self.tokenizer = str(tokenizer)
        self._function = None
        self._table = None

    @classmethod
    def settings_of(cls, options):
        """The token settings of a translator's build options (``lowercase``,
        ``reverse_source``, ``max_tokens``, ``min_count``)."""
        return {"lowercase": bool(options.get("lowercase", False)),
                "reverse_source": bool(options.get("reverse_source", False)),
                "max_tokens": int(options.get("max_tokens", 20)),
                "min_count": int(options.get("min_count", 1))}

    def get_config(self):
        return {"tokenizer": self.tokenizer, "lowercase": self.lowercase,
                "reverse_source": self.reverse_source, "max_tokens": self.max_tokens,
                "min_count": self.min_count, "source_vocab": self.source_vocab.to_dict(),
                "target_vocab": self.target_vocab.to_dict(), **self._sentences_config()}

    def _sentences_config(self):
        # "whole" is what a config without the setting means: earlier configs stay as they were
        return {"sentences": self.sentences} if self.sentences != "whole" else {}

    def with_sentences(self, sentences):
        """This preprocessor, reading texts of several sentences as ``sentences`` says."""
        return type(self).from_config({**self.get_config(), "sentences": sentences})

    def segments(self, text):
        """The parts of a text read one at a time: its sentences (:func:`sentences_of`) when
        ``sentences="split"``, else the text itself."""
        return sentences_of(text) if self.sentences == "split" else [text]

    # -- Python ---------------------------------------------------------------------------------

    def tokens(self, text):
        """The tokens of one text, as the model reads them (before reversal)."""
        return tokenize(text, lowercase=self.lowercase)

    def detokenize(self, tokens):
        """Readable text from target tokens (:func:`zoo.text.tokenize.detokenize`)."""
        return detokenize(tokens)

    def target_ids(self, tokens):
        """The target ids of a token list (training's teacher forcing)."""
        return self.target_vocab.encode(tokens)

    def source_ids(self, token_lists):
        """Right-padded int32 source ids ``(batch, width)`` of token lists, reversed when the
        model was so trained; the width is the longest list rounded up to a multiple of 8 (the
        padding is masked: it changes no result). Runs :meth:`graph`, compiled."""
        if not token_lists:
            raise DataError("no sentences given; give at least one")

        if self._function is None:
            self._function = tf.function(self.graph, input_signature=[
                tf.RaggedTensorSpec((None, None), tf.string, ragged_rank=1)], autograph=False)
        flat = [token for tokens in token_lists for token in tokens]
        ragged = tf.RaggedTensor.from_row_lengths(
            tf.constant(flat, tf.string, shape=(len(flat),)),
            tf.constant([len(tokens) for tokens in token_lists], tf.int64))
        return self._function(ragged).numpy()

    def __call__(self, texts):
        """Sentences (a list, or one) as padded source ids ``(n, width)``."""
        if isinstance(texts, str):
            texts = [texts]
        return self.source_ids([self.tokens(text) for text in texts])

    # -- the graph ------------------------------------------------------------------------------

    def lookup_table(self):
        """The source vocabulary as a TensorFlow hash table (unknown tokens: ``<unk>``)."""
        if self._table is None:
            vocab = self.source_vocab
            keys = [t for t in vocab.tokens if t not in vocab.specials]
            with tf.init_scope():  # made eagerly, even when first asked for inside a graph
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(
                        tf.constant(keys, tf.string),
                        tf.constant([vocab.id(t) for t in keys], tf.int32)),
                    default_value=int(vocab.unk_id if vocab.unk_id is not None else 0))
        return self._table

    def graph(self, tokens):
        """Token strings (a ``tf.RaggedTensor`` ``(batch, None)``) as padded int32 source ids,
        reversed when the model was so trained: TensorFlow ops, for ``tf.data`` and graphs."""
        ids = tf.ragged.map_flat_values(self.lookup_table().lookup, tokens)
        lengths = tf.cast(ids.row_lengths(), tf.int32)
        width = (tf.maximum(1, tf.reduce_max(tf.concat([lengths, [0]], 0))) + PAD_TO - 1) \
            // PAD_TO * PAD_TO
        dense = ids.to_tensor(default_value=0, shape=tf.stack([tf.shape(lengths)[0], width]))
        if self.reverse_source:
            dense = tf.reverse_sequence(dense, lengths, seq_axis=1, batch_axis=0)
        return dense


def vocab_ids(vocabulary, tokens):
    """Ids of a sequence of tokens as an int32 array (unknown ones: ``<unk>``)."""
    return np.asarray(vocabulary.encode(tokens), dtype=np.int32)
