"""Subword tokens: :class:`SubwordPreprocessor`, a translator's sentences as SentencePiece pieces.

One SentencePiece model (Kudo & Richardson 2018; the ``sentencepiece`` package), trained on both
sides of the training split only, cuts English and Spanish text into pieces from one shared
vocabulary: frequent words are one piece, rare words several (``▁un`` ``believ`` ``able``),
and a character the vocabulary lacks falls back to its UTF-8 bytes (``<0xC3>``), so nothing
is ever unknown and the decoder can compose a word it never saw whole. Its output pieces are
joined back into text by SentencePiece itself (:meth:`SubwordPreprocessor.detokenize`).

The model is a data file (a protobuf of pieces and scores: loading it runs no code), kept
beside the weights as ``sentencepiece.model``; ``zoo.json`` names it with its SHA-256 under
``"preprocessor": {"kind": "subword_tokens", "files": {...}}`` and :mod:`zoo.saving` checks the
hash when it reads the file. Ids 0-3 are ``<pad> <unk> <s> </s>``, as in the word
vocabularies, so the piece ids look up, reverse and pad with the word preprocessor's graph.

Example:
    >>> from zoo.preprocessing.subwords import SubwordPreprocessor
    >>> lines = [f"The file {n} is open." for n in range(300)]
    >>> pieces = SubwordPreprocessor.train(lines, vocab_size=300, max_tokens=32)
    >>> pieces.detokenize(pieces.tokens("The file is open."))
    'The file is open.'
    >>> pieces.tokens("€")  # a character never seen: its UTF-8 bytes
    ['▁', '<0xE2>', '<0x82>', '<0xAC>']
"""

import io

import sentencepiece

from zoo.errors import DataError
from zoo.preprocessing import base
from zoo.preprocessing.tokens import WordTokenPreprocessor, check_sentences
from zoo.text.vocab import BOS, EOS, PAD, UNK, Vocabulary

TOKENIZER = "sentencepiece/1"
MODEL_FILE = "sentencepiece.model"
MODEL_TYPES = ("unigram", "bpe")
SPECIALS = (PAD, UNK, BOS, EOS)  # ids 0, 1, 2, 3
CHARACTER_COVERAGE = 0.9995  # rarer characters are spelled in bytes


def check_config(config, fail):
    """The checks of a ``"subword_tokens"`` config."""
    extra = set(config) - {"kind", base.FILES_KEY, "vocab_size", "model_type", "max_tokens",
                           "reverse_source", "tokenizer", "sentences"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not a subword token setting)")
    check_sentences(config, fail)
    base.check_files(config.get(base.FILES_KEY), fail)
    if len(config[base.FILES_KEY]) != 1:
        fail(f"{base.KEY}.{base.FILES_KEY}", "one file: the SentencePiece model")
    if not base.whole(config.get("vocab_size"), len(SPECIALS) + 1, 1_000_000):
        fail(f"{base.KEY}.vocab_size", "a whole number from 5 to 1,000,000")
    if not base.whole(config.get("max_tokens"), 1, 65_536):
        fail(f"{base.KEY}.max_tokens", "a whole number from 1 to 65,536")
    if config.get("model_type", "unigram") not in MODEL_TYPES:
        fail(f"{base.KEY}.model_type", f"one of {list(MODEL_TYPES)}")
    if not isinstance(config.get("reverse_source", False), bool):
        fail(f"{base.KEY}.reverse_source", "true or false")
    if config.get("tokenizer", TOKENIZER) != TOKENIZER:
        fail(f"{base.KEY}.tokenizer", f"{TOKENIZER!r} (the tokenizer of this zoo; the model "
             "was trained by another version)")


base.CHECKS["subword_tokens"] = check_config


def train_sentencepiece(sentences, *, vocab_size, model_type="unigram"):
    """The bytes of a SentencePiece model trained on ``sentences`` (an iterable of strings).

    Ids 0-3 are ``<pad> <unk> <s> </s>``; characters rarer than 1 in 2,000 and unseen ones are
    spelled in UTF-8 bytes (byte fallback); one thread and no sampling of the input, so the
    same sentences always give the same model. ``vocab_size`` is an upper bound: a small
    corpus gives fewer pieces.
    """
    if model_type not in MODEL_TYPES:
        raise DataError(f"model_type must be one of {list(MODEL_TYPES)}, got {model_type!r}")
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise DataError("no sentence to train a SentencePiece model on")
    out = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences), model_writer=out, vocab_size=int(vocab_size),
            model_type=model_type, pad_id=0, unk_id=1, bos_id=2, eos_id=3, pad_piece=PAD,
            unk_piece=UNK, bos_piece=BOS, eos_piece=EOS, byte_fallback=True,
            character_coverage=CHARACTER_COVERAGE, hard_vocab_limit=False, num_threads=1,
            input_sentence_size=0, shuffle_input_sentence=False, max_sentence_length=16_384,
            minloglevel=2)
    except RuntimeError as err:
        raise DataError(f"SentencePiece could not train on {len(sentences):,} sentences: "
                        f"{' '.join(str(err).split())[:300]}") from None
    return out.getvalue()


class SubwordPreprocessor(WordTokenPreprocessor):
    """Sentences as SentencePiece pieces and ids; one vocabulary for both languages.

    Args:
        files: ``{"sentencepiece.model": SHA-256}``: the model file, whose bytes were read
            (and hash-checked) by :mod:`zoo.saving` or made by :meth:`train`.
        vocab_size: the number of pieces (ids), the four specials included.
        model_type: ``"unigram"`` or ``"bpe"`` (how the pieces were chosen).
        max_tokens: the longest sentence (in pieces) trained on; longer input is split or cut.
        reverse_source: feed the source pieces in reverse order.
        tokenizer: the tokenizer's name and version (``"sentencepiece/1"``).
        sentences: ``"split"`` or ``"whole"``, as for
            :class:`~zoo.preprocessing.WordTokenPreprocessor`.
    """

    kind = "subword_tokens"

    def __init__(self, files, *, vocab_size, model_type="unigram", max_tokens=64,
                 reverse_source=False, tokenizer=TOKENIZER, sentences="whole"):
        (name, digest), = dict(files).items()
        try:
            self._sp = sentencepiece.SentencePieceProcessor(model_proto=base.asset(digest, name))
        except RuntimeError as err:
            raise DataError(f"{name} is not a SentencePiece model ({err})") from None
        pieces = [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]
        if tuple(pieces[:len(SPECIALS)]) != SPECIALS or len(pieces) != int(vocab_size):
            raise DataError(f"{name} holds {len(pieces)} pieces starting {pieces[:4]}, not the "
                            f"{vocab_size} starting {list(SPECIALS)} zoo.json says: the file "
                            "belongs to another model")
        vocab = Vocabulary(pieces[len(SPECIALS):], specials=SPECIALS)
        super().__init__(vocab, vocab, reverse_source=reverse_source, max_tokens=max_tokens,
                         sentences=sentences)
        self.files_sha256 = {name: digest}
        self.model_type = str(model_type)
        self.tokenizer = str(tokenizer)

    @classmethod
    def train(cls, sentences, *, vocab_size, model_type="unigram", max_tokens=64,
              reverse_source=False):
        """A preprocessor with a new SentencePiece model trained on ``sentences`` (see
        :func:`train_sentencepiece`), reading texts whole (see :meth:`with_sentences`)."""
        proto = train_sentencepiece(sentences, vocab_size=vocab_size, model_type=model_type)
        digest = base.add_asset(proto)
        size = sentencepiece.SentencePieceProcessor(model_proto=proto).get_piece_size()
        return cls({MODEL_FILE: digest}, vocab_size=size, model_type=model_type,
                   max_tokens=max_tokens, reverse_source=reverse_source)

    @classmethod
    def settings_of(cls, options):
        """The subword settings of a translator's build options."""
        return {"model_type": str(options.get("subword_model", "unigram")),
                "max_tokens": int(options.get("max_tokens", 64)),
                "reverse_source": bool(options.get("reverse_source", False))}

    def get_config(self):
        return {"tokenizer": self.tokenizer, base.FILES_KEY: dict(self.files_sha256),
                "vocab_size": len(self.source_vocab), "model_type": self.model_type,
                "max_tokens": self.max_tokens, "reverse_source": self.reverse_source,
                **self._sentences_config()}

    def files(self):
        return {name: base.asset(digest, name) for name, digest in self.files_sha256.items()}

    def tokens(self, text):
        """The pieces of one text, as the model reads them (before reversal)."""
        return self._sp.encode(text, out_type=str)

    def detokenize(self, pieces):
        """Text from pieces, joined by SentencePiece (``▁`` marks a space; bytes are decoded);
        special pieces are left out."""
        return self._sp.decode_pieces([p for p in pieces if p not in SPECIALS])
