"""Translation: sentences in one language in, sentences in another out.

A :class:`Translator` holds an encoder-decoder model (:mod:`zoo.models.translation`), the source
and target vocabularies and the preprocessing it was trained with, and translates raw strings
with greedy or beam search (:mod:`zoo.decoding`), batched and compiled.

Defined behaviour for awkward input:

- an empty list of texts is an error; an empty (or blank) text translates to ``""`` without
  running the model;
- a text of more than ``max_tokens`` tokens (the training limit, a model option) is never cut
  silently: by default (``long="split"``) it is split into sentences (at ``. ! ? ; :``), a
  sentence still too long into pieces of at most ``max_tokens`` tokens, each translated and the
  translations joined (:attr:`Translation.pieces` says into how many); ``long="refuse"`` raises
  a :class:`~zoo.errors.DataError` saying which text it is; ``long="truncate"`` (or
  ``truncate=True``) keeps its first ``max_tokens`` tokens and sets ``truncated``;
- a word the source vocabulary lacks reads as ``<unk>`` (and is listed in
  :attr:`Translation.unknown`); a ``<unk>`` the decoder writes is replaced by the source word it
  attends to most (Luong et al. 2015's "unk replace"), when the model has attention and
  ``replace_unknown`` is on; otherwise it stays ``<unk>`` in the text. A subword translator
  (``--option tokenizer=sentencepiece``, :class:`~zoo.preprocessing.SubwordPreprocessor`)
  has no unknown word: a rare word is read and written as several pieces, and nothing is
  copied from the source;
- greedy search that falls into a loop (the same n-gram again and again) is stopped after
  ``repeat_limit`` copies, or one more than the source's own run of copies, and the copies
  dropped, as many as the source has kept ("file file file file" is faithfully four
  "archivo"; the dropped ones' log-probabilities are out of the score); every translation
  says why it stopped
  (:attr:`Translation.stop_reason`: its end token, a repetition, or the length cap);
- a text of several sentences is translated one sentence at a time when the translator's
  preprocessor says ``sentences="split"`` (a new run sets it, a warm start keeps its source's;
  the ``split_sentences`` recipe setting chooses), and the translations joined by a space;
  ``translate(..., sentences=True/False)`` chooses for one call.
"""

import dataclasses
import re
from pathlib import Path

import keras
import numpy as np
import sacrebleu
import tensorflow as tf

from zoo.checks import check_choice, check_number, check_text, check_texts
from zoo.errors import ConfigError, DataError
from zoo.text.tokenize import tokenize
from zoo.preprocessing import WordTokenPreprocessor
from zoo.preprocessing.tokens import sentences_of
from zoo.preprocessing.subwords import SubwordPreprocessor
from zoo.text.vocab import BOS, EOS, PAD, UNK, Vocabulary
from zoo.tasks.base import Headline, Prepared, Task, decoding_loop_refusal
from zoo import decoding
from zoo.serving import decoder_endpoints
from zoo.data.translation import read_pairs, read_split_folder, split_folder, split_pairs
from zoo.models.translation import decoder_step_function, encoder_function
from zoo.registry import get_spec
from zoo.runtime import compile_function

SOURCE_SPECIALS = (PAD, UNK)
TARGET_SPECIALS = (PAD, UNK, BOS, EOS)
METHODS = ("greedy", "beam")
LONG_INPUT = ("split", "refuse", "truncate")
TOKENIZERS = ("words", "sentencepiece")
REPEAT_LIMIT = 3  # greedy search stops a loop at 3 copies of an n-gram (zoo.decoding), or more
# when the source repeats itself (1 + its most copies in a row)
LONG_SENTENCE = 20  # BLEU is also reported for sources of more than this many words, and up to it
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclasses.dataclass
class Translation:
    """One translation with what a UI needs to show how it was made.

    Attributes:
        text: the detokenized translation.
        tokens: the target tokens written (``<unk>`` kept, end token dropped).
        source_tokens: the source tokens the model read, in the sentence's order (``<unk>`` for
            unknown words is *not* substituted here: see ``unknown``).
        unknown: the source words outside the vocabulary.
        score: the search's score (greedy: log-probability; beam: length-normalised); for a
            text translated in pieces, the mean of its pieces' scores (a sum would grow with
            the number of sentences).
        finished: whether the decoder wrote its end token.
        attention: ``(len(tokens), len(source_tokens))`` attention weights, row i = where the
            decoder looked when writing token i; ``None`` for a model without attention.
        truncated: whether the source was cut to ``max_tokens``.
        pieces: how many pieces the source was translated in: its sentences when they were
            translated one at a time, and a sentence longer than ``max_tokens`` cut in pieces
            (1 for one sentence that fits).
        sentences: how many sentences the source was read as (1 when read whole).
        too_long: how many of those (or the whole text, read whole) had more than
            ``max_tokens`` tokens: translated in pieces, or cut when ``truncated``.
        stop_reason: why decoding stopped: ``"end"`` (the end token), ``"repetition"``
            (greedy search repeated an n-gram more often than ``repeat_limit`` and the source
            allow: the copies were dropped)
            or ``"max_length"`` (the length cap); for a text in pieces, the first piece's
            reason that is not ``"end"``.
    """

    text: str
    tokens: list
    source_tokens: list
    unknown: list
    score: float
    finished: bool
    attention: object = None
    truncated: bool = False
    pieces: int = 1
    stop_reason: str = "end"
    sentences: int = 1
    too_long: int = 0


class Translator(Task):
    """A trained translator that takes raw sentences and returns translations.

    Args:
        model: a model built by :func:`zoo.models.translation.build_translator`.
        config: plain data saved with it: ``model``, ``options`` and ``preprocessor`` (a
            :class:`~zoo.preprocessing.WordTokenPreprocessor`'s config: both vocabularies and
            the token settings).

    Example:
        >>> translator = zoo.load("runs/seq2seq_gru_bahdanau")  # doctest: +SKIP
        >>> translator.translate(["The file is open.", "Save the document."])  # doctest: +SKIP
        ['El archivo está abierto.', 'Guarde el documento.']
    """

    noun = "a translator"
    task = "translation"
    test_file_alone = True
    headline = Headline("test_bleu", "test BLEU (greedy)", "max")
    config_schema = {"preprocessor": "preprocessor"}
    command = "translate"
    # split_sentences: translate a text of several sentences one sentence at a time (the
    # preprocessor's "sentences" setting); unset, a new run splits and a warm start or a saved
    # run keeps what its source did
    recipe_settings = {"split_sentences": ("bool", None, None)}
    memory_hint = "give fewer sentences at a time, or a smaller --beam or --max-length"
    batch_input = "lines"

    def __init__(self, model, config):

        super().__init__(model, config)
        options = self.config["options"]
        if not isinstance(self.preprocessor, WordTokenPreprocessor):
            raise DataError("a translator needs a word token preprocessor (its zoo.json was "
                            "changed: restore it or retrain)")
        self.source_vocab = self.preprocessor.source_vocab
        self.target_vocab = self.preprocessor.target_vocab
        for side, vocab in (("source", self.source_vocab), ("target", self.target_vocab)):
            if len(vocab) != int(options[f"{side}_vocab_size"]):
                raise DataError(f"the {side} vocabulary has {len(vocab)} tokens but the model "
                                f"takes {options[f'{side}_vocab_size']}; the model config is "
                                "damaged")
        if self.target_vocab.bos_id is None or self.target_vocab.eos_id is None:
            raise DataError("the target vocabulary has no <s> and </s> tokens")
        self.has_attention = options.get("attention") is not None
        self._encode = compile_function(encoder_function(model))
        self._step = decoder_step_function(model)  # one object: its compiled loops are cached

    @property
    def max_tokens(self):
        return self.preprocessor.max_tokens

    # -- preprocessing ---------------------------------------------------------------------------

    def source_tokens(self, text):
        """The tokens of one source text, as the model reads them (before reversal)."""
        return self.preprocessor.tokens(text)

    def _source_ids(self, token_lists):
        """Right-padded int32 ids ``(batch, width)``, reversed when the model was so trained
        (:meth:`zoo.preprocessing.WordTokenPreprocessor.source_ids`)."""
        return self.preprocessor.source_ids(token_lists)

    # -- translation -----------------------------------------------------------------------------

    def pieces_of(self, text):
        """A text cut into pieces of at most ``max_tokens`` tokens: its sentences, and a
        sentence still too long cut into equal runs of tokens. Returns token lists."""
        pieces = []
        text = check_text(text, "the text")
        for sentence in _SENTENCE_END.split(text.strip()):
            tokens = self.source_tokens(sentence)
            if not tokens:
                continue
            count = -(-len(tokens) // self.max_tokens)
            size = -(-len(tokens) // count)
            pieces += [tokens[i:i + size] for i in range(0, len(tokens), size)]
        return pieces

    def translate(self, texts, *, method="greedy", beam_width=4, length_penalty=0.6,
                  max_length=None, long="split", truncate=False, replace_unknown=True,
                  details=False, batch_size=64, repeat_limit=REPEAT_LIMIT, sentences=None):
        """Translate sentences.

        Args:
            texts: a string or a list of strings (one sentence each works best).
            method: ``"greedy"`` or ``"beam"``.
            beam_width: hypotheses kept per sentence in beam search.
            length_penalty: GNMT's alpha for beam search (0: raw log-probability, which prefers
                short outputs; see :func:`zoo.decoding.gnmt_length_penalty`).
            max_length: the most target tokens written (default twice ``max_tokens``).
            long: what to do with a text of more than ``max_tokens`` tokens: ``"split"`` it into
                sentences (and pieces) translated one by one, ``"refuse"`` it, ``"truncate"`` it.
            truncate: the same as ``long="truncate"``.
            replace_unknown: replace a written ``<unk>`` by the most attended source word
                (word-level translators only).
            details: return :class:`Translation` objects instead of strings.
            batch_size: sentences decoded together.
            repeat_limit: greedy search stops a translation that ends with this many copies
                of one n-gram and drops the copies (see :func:`zoo.decoding.greedy_decode`),
                or with one more copy than the source's most copies of an n-gram in a row
                when that is more, and then keeps as many copies as the source has (a
                faithful repeat); ``None`` lets it run to the length cap.
            sentences: translate a text of several sentences one sentence at a time (``True``)
                or whole (``False``); ``None``: as the translator was trained and measured
                (its preprocessor's ``sentences`` setting).

        Returns:
            A list with one translation (a string, or a :class:`Translation`) per text.
        """

        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)):
            raise DataError(f"translate takes a string or a list of strings, got "
                            f"{type(texts).__name__}")
        texts = list(texts)
        if not texts:
            raise DataError("no text given to translate")
        check_choice(method, "method", METHODS)
        max_length, beam_width, length_penalty = decoding.check_search(
            max_length=max_length, beam_width=beam_width, length_penalty=length_penalty)
        beam_width = 4 if beam_width is None else beam_width
        length_penalty = 0.6 if length_penalty is None else length_penalty
        max_length = max_length or min(2 * self.max_tokens, decoding.MAX_DECODE_LENGTH)
        batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
        repeat_limit = check_number(repeat_limit, "repeat_limit", whole=True, low=2,
                                    high=decoding.MAX_DECODE_LENGTH, none=True)
        long = "truncate" if truncate else check_choice(long, "long", LONG_INPUT)
        if sentences not in (None, True, False):
            raise ConfigError(f"sentences takes True, False or None (as the translator was "
                              f"trained), got {sentences!r}")
        split = self.preprocessor.sentences == "split" if sentences is None else sentences
        segments = self.preprocessor.segments if sentences is None else \
            (sentences_of if sentences else lambda text: [text])

        prepared, owners = [], []  # one row per piece; owners[row] = index of its text
        counts, too_long = [], []  # the sentences of each text, and how many are too long
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataError(f"text {index + 1} is a {type(text).__name__}, not a string")
            if len(text) > decoding.MAX_TEXT_CHARS:
                raise DataError(f"text {index + 1} has {len(text):,} characters; at most "
                                f"{decoding.MAX_TEXT_CHARS:,} in one text: split it into "
                                "sentences or paragraphs and translate them one by one")
            parts = segments(text)
            counts.append(len(parts))
            too_long.append(0)
            for part in parts:
                tokens = self.source_tokens(part)
                cut = len(tokens) > self.max_tokens
                too_long[-1] += cut
                if cut and long == "refuse":
                    raise DataError(
                        f"text {index + 1} has {len(tokens)} tokens"
                        f"{' in one sentence' if split else ''}, more than the "
                        f"{self.max_tokens} this model was trained on; split it into shorter "
                        "sentences, or let the translator split it (long='split', the default "
                        "of `zoo translate`)")
                pieces = self.pieces_of(part) if cut and long == "split" else \
                    [tokens[:self.max_tokens]]
                for piece in pieces:
                    prepared.append((piece, cut and long == "truncate"))
                    owners.append(index)

        results = [None] * len(prepared)
        todo = [i for i, (tokens, _) in enumerate(prepared) if tokens]
        for i, (tokens, cut) in enumerate(prepared):
            if not tokens:
                results[i] = Translation(text="", tokens=[], source_tokens=[], unknown=[],
                                         score=0.0, finished=True, truncated=cut)
        bos, eos = self.target_vocab.bos_id, self.target_vocab.eos_id
        for start in range(0, len(todo), int(batch_size)):
            rows = todo[start:start + int(batch_size)]
            token_lists = [prepared[i][0] for i in rows]
            ids = self._source_ids(token_lists)
            state = self._encode(keras.ops.convert_to_tensor(ids))
            start_ids = np.full((len(rows),), bos, dtype="int32")
            if method == "greedy":
                # as many copies as the source itself has are a faithful translation: they
                # are allowed, and kept when the search goes on repeating
                runs = [decoding.longest_repeat(tokens) for tokens in token_lists]
                out = decoding.greedy_decode(
                    self._step, state, start_ids, max_length=max_length, end_id=eos,
                    repeat_limit=None if repeat_limit is None else [
                        max(int(repeat_limit), 1 + run) for run in runs],
                    repeat_keep=runs)
                reason = np.where(out.finished, "end", np.where(
                    out.repeated if out.repeated is not None else False, "repetition",
                    "max_length"))
                best = (out.tokens, out.lengths, out.scores, out.finished, out.extras, reason)
            else:
                out = decoding.beam_search(self._step, state, start_ids,
                                           beam_width=int(beam_width), max_length=max_length,
                                           end_id=eos, length_penalty=float(length_penalty))
                best = (out.tokens[:, 0], out.lengths[:, 0], out.scores[:, 0],
                        out.finished[:, 0], None if out.extras is None else out.extras[:, 0],
                        np.where(out.finished[:, 0], "end", "max_length"))
            for j, i in enumerate(rows):
                results[i] = self._result(token_lists[j], prepared[i][1],
                                          *(None if a is None else a[j] for a in best),
                                          replace_unknown=replace_unknown)
        by_text = [[] for _ in texts]
        for result, owner in zip(results, owners):
            by_text[owner].append(result)
        joined = [dataclasses.replace(_join(parts), sentences=count, too_long=long_count)
                  for parts, count, long_count in zip(by_text, counts, too_long)]
        return joined if details else [r.text for r in joined]

    def _result(self, source_tokens, truncated, ids, length, score, finished, attention,
                stop_reason, *, replace_unknown):
        """A :class:`Translation` from one decoded row."""
        vocab = self.target_vocab
        keep = [k for k, i in enumerate(ids[:int(length)])
                if int(i) not in (vocab.eos_id, vocab.pad_id, vocab.bos_id)]
        tokens = [vocab.tokens[int(ids[k])] for k in keep]
        weights = None
        if attention is not None:
            weights = np.asarray(attention)[keep][:, :len(source_tokens)]
            if self.preprocessor.reverse_source:
                weights = weights[:, ::-1]
        words = list(tokens)
        subword = isinstance(self.preprocessor, SubwordPreprocessor)
        if replace_unknown and weights is not None and source_tokens and not subword:
            words = [source_tokens[int(np.argmax(weights[k]))] if t == UNK else t
                     for k, t in enumerate(tokens)]
        return Translation(text=self.preprocessor.detokenize(words), tokens=tokens,
                           source_tokens=list(source_tokens),
                           unknown=[t for t in source_tokens if t not in self.source_vocab],
                           score=float(score), finished=bool(finished), attention=weights,
                           truncated=truncated, stop_reason=str(stop_reason))

    # -- figures ---------------------------------------------------------------------------------

    def scores(self, sources, references, **translate_options):
        """Corpus BLEU and chrF (sacrebleu, 0-100) of translations of ``sources`` against
        ``references`` (one reference each), on detokenized text. Case-insensitive when the
        model lower-cases its text."""
        sources = check_texts(sources, "sources", single=False)
        references = check_texts(references, "references", single=False)
        if len(sources) != len(references) or not sources:
            raise DataError(f"{len(sources)} sources for {len(references)} references; give "
                            "one reference translation per source")
        hypotheses = self.translate(sources, long="split", **translate_options)
        return corpus_scores(hypotheses, references, lowercase=self.preprocessor.lowercase), \
            hypotheses

    def measured_translations(self, sources, references, **translate_options):
        """:meth:`scores` and more: BLEU of the sources of more than :data:`LONG_SENTENCE`
        words and of the others, and how many translations stopped on a repetition or at
        the length cap, as ``{name: figure}``."""
        found = self.translate(sources, long="split", details=True, **translate_options)
        lowercase = self.preprocessor.lowercase
        hypotheses = [t.text for t in found]
        figures = corpus_scores(hypotheses, references, lowercase=lowercase)
        long = [len(s.split()) > LONG_SENTENCE for s in sources]
        for name, keep in ((f"over{LONG_SENTENCE}", True), (f"upto{LONG_SENTENCE}", False)):
            rows = [k for k, is_long in enumerate(long) if is_long == keep]
            figures[f"bleu_{name}"] = corpus_scores(
                [hypotheses[k] for k in rows], [references[k] for k in rows],
                lowercase=lowercase)["bleu"] if rows else None
            figures[f"sentences_{name}"] = len(rows)
        figures["stopped_repetition"] = sum(t.stop_reason == "repetition" for t in found)
        figures["hit_length_cap"] = sum(t.stop_reason == "max_length" for t in found)
        return figures, hypotheses

    # -- training hooks (see zoo.training) ------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Read the pairs, split them by source sentence, build the vocabularies, batch them.

        Pairs with more than ``max_tokens`` tokens on either side (or a side with no token) are
        left out of training and of the teacher-forced figures, and counted in
        ``data_info["dropped_too_long"]``; BLEU and chrF are on the whole validation and test
        splits, the long pairs included (the translator splits long input into sentences). With
        ``request.test_data`` that file is the test split (see
        :func:`zoo.data.translation.split_pairs`); otherwise a test share equal to the
        validation fraction is drawn; a split folder (``train.tsv``, ``valid.tsv``,
        ``test.tsv``) is used as it is split (:func:`zoo.data.translation.read_split_folder`).
        The vocabularies (or, with ``tokenizer="sentencepiece"``, the SentencePiece model, on
        both sides of the training pairs) come from the training split only, or from
        ``assets`` (a saved model's config) when given.
        """

        options = dict(options)
        tokenizer = options.get("tokenizer", "words")
        if tokenizer not in TOKENIZERS:
            raise DataError(f"the option tokenizer must be one of {list(TOKENIZERS)}, got "
                            f"{tokenizer!r}")
        if tokenizer == "sentencepiece" and not (assets or {}).get("preprocessor"):
            _refuse_word_options(model_name, options)  # (a saved run's were filled in by it)
        held = read_pairs(request.test_data) if request.test_data else None
        alone = request.dataset is None  # a saved translator measured on a test file alone
        if alone and (held is None or not (assets or {}).get("preprocessor")):
            raise ConfigError("without training pairs, give the test pairs (test_data) and a "
                              "saved translator's vocabularies")
        folder = None if alone else split_folder(request.dataset)
        if alone:
            data, dropped_for_test = held, 0
            splits = {"train": [], "validation": [], "test": list(held.pairs)}
        elif folder is not None:
            splits, data, dropped_for_test = read_split_folder(
                folder, None if held is None else held.pairs)
        else:
            data = read_pairs(request.dataset)
            splits, dropped_for_test = split_pairs(
                data.pairs, validation_fraction=request.validation_fraction,
                test_fraction=request.validation_fraction, seed=request.seed,
                test_pairs=None if held is None else held.pairs)
        if request.train_size:
            splits["train"] = splits["train"][:int(request.train_size)]

        saved = (assets or {}).get("preprocessor")
        recipe = dict(get_spec(model_name).train)
        recipe.update((assets or {}).get("train") or {})
        recipe.update(getattr(request, "recipe", None) or {})
        split = recipe.get("split_sentences")
        sentences = ("split" if split else "whole") if split is not None else \
            (saved.get("sentences", "whole") if saved else "split")
        if tokenizer == "sentencepiece":
            pre = SubwordPreprocessor.settings_of(options)
            if saved:
                preprocessor = SubwordPreprocessor.from_config(saved)
            else:
                preprocessor = SubwordPreprocessor.train(
                    [side for pair in splits["train"] for side in pair],
                    vocab_size=int(options["target_vocab_size"]), **pre)
            lowercase, limit = False, preprocessor.max_tokens
            split_words = preprocessor.tokens
        else:
            pre = WordTokenPreprocessor.settings_of(options)
            lowercase, limit = pre["lowercase"], pre["max_tokens"]

            def split_words(text):
                return tokenize(text, lowercase=lowercase)

        tokenized, too_long, long_pairs = {}, {}, {}
        for split, pairs in splits.items():
            kept, longer = [], []
            for source, target in pairs:
                s, t = split_words(source), split_words(target)
                if s and t and len(s) <= limit and len(t) <= limit:
                    kept.append((source, target, s, t))
                elif s and t:
                    longer.append((source, target))
            tokenized[split], too_long[split] = kept, len(pairs) - len(kept)
            long_pairs[split] = longer
        if not tokenized["train"] and not alone:
            raise DataError(f"no training pair has at most {limit} tokens on each side; raise "
                            "the limit with `--option max_tokens=N`")

        if tokenizer == "sentencepiece":
            source_vocab = target_vocab = preprocessor.source_vocab
        elif saved:
            saved = WordTokenPreprocessor.from_config(saved)
            source_vocab, target_vocab = saved.source_vocab, saved.target_vocab
        else:
            min_count = pre["min_count"]
            source_vocab = Vocabulary.build(
                (tok for _, _, s, _ in tokenized["train"] for tok in s),
                specials=SOURCE_SPECIALS, min_count=min_count,
                max_size=int(options["source_vocab_size"]))
            target_vocab = Vocabulary.build(
                (tok for _, _, _, t in tokenized["train"] for tok in t),
                specials=TARGET_SPECIALS, min_count=min_count,
                max_size=int(options["target_vocab_size"]))
        options.update(source_vocab_size=len(source_vocab), target_vocab_size=len(target_vocab))

        if tokenizer != "sentencepiece":
            preprocessor = WordTokenPreprocessor(source_vocab, target_vocab, **pre)
        preprocessor = preprocessor.with_sentences(sentences)

        def encode(rows):
            if not rows:
                return []
            sources = preprocessor.source_ids([s for _, _, s, _ in rows])
            return [(sources[k, :len(s)].tolist(), preprocessor.target_ids(t))
                    for k, (_, _, s, t) in enumerate(rows)]

        bos, eos = target_vocab.bos_id, target_vocab.eos_id
        datasets = {split: (make_batches(encode(rows), request.batch_size, bos_id=bos,
                                         eos_id=eos, shuffle=split == "train",
                                         seed=request.seed) if rows else None)
                    for split, rows in tokenized.items()}
        counts = {split: len(rows) for split, rows in tokenized.items()}
        names = [Path(f).name for f in data.files]
        info = {"name": str(folder) if folder is not None else
                ",".join(str(f) for f in data.files) if len(data.files) > 1
                else str(data.files[0]),
                "files": names, "test_file": None if held is None else str(held.files[0]),
                "num_pairs": counts, "malformed_lines_skipped": data.skipped + (
                    held.skipped if held and not alone else 0),
                "dropped_too_long": too_long, "dropped_sentence_in_test_file": dropped_for_test,
                "split": ("the test file alone" if alone else
                          f"the split folder's files ({folder.name})" if folder is not None
                          else "by source sentence, seeded"), "max_tokens": limit}
        measured = "test" if alone else "validation"
        unk_rate = _unknown_rate([s for _, _, s, _ in tokenized[measured]], source_vocab)
        return Prepared(
            train=datasets["train"], validation=datasets["validation"], test=datasets["test"],
            options=options, data_info=info,
            assets={"preprocessor": preprocessor.to_dict()},
            held_out={split: ([r[0] for r in rows] + [p[0] for p in extra],
                              [r[1] for r in rows] + [p[1] for p in extra])
                      for split, rows in tokenized.items()
                      for extra in [long_pairs[split] if split != "train" else []]},
            summary=(f"{', '.join(names)}: {counts['train']:,} train / "
                     f"{counts['validation']:,} validation / {counts['test']:,} test pairs "
                     f"(at most {limit} tokens, "
                     f"{'the test file alone' if alone else 'split by source sentence'}); "
                     + (f"{len(source_vocab):,} SentencePiece pieces for both languages, "
                        if tokenizer == "sentencepiece" else
                        f"vocabularies {len(source_vocab):,} source / {len(target_vocab):,} "
                        "target tokens, ") +
                     f"{unk_rate:.1%} unknown source tokens in {measured}"))

    @staticmethod
    def compile_model(model, optimizer):
        """Masked cross-entropy on the logits; token accuracy over real (non-pad) tokens."""
        model.compile(
            optimizer=optimizer or "adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
            weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")])

    def measure(self, prepared, splits=("validation", "test"), *, beam_width=4,
                length_penalty=0.6):
        """Per split: teacher-forced loss and token accuracy, and BLEU / chrF of greedy and
        beam-search translations against the references (sacrebleu, detokenized text); BLEU
        of the sources of more than 20 words and of the others (``bleu_over20``,
        ``bleu_upto20``, ``_beam`` for beam search); how many translations stopped on a
        repetition (greedy) or at the length cap."""
        metrics = {}
        texts = prepared.held_out
        for split in splits:
            data = getattr(prepared, split, None)
            if data is not None:  # (none when every pair is over max_tokens)
                metrics.update({f"{split}_{k}": v for k, v in self.evaluate(data).items()})
            if not (texts or {}).get(split, ([], []))[0]:
                continue
            sources, references = texts[split]
            greedy, _ = self.measured_translations(sources, references, method="greedy")
            beam, _ = self.measured_translations(sources, references, method="beam",
                                                 beam_width=beam_width,
                                                 length_penalty=length_penalty)
            metrics.update({f"{split}_{k}": v for k, v in greedy.items()})
            metrics.update({f"{split}_{k}_beam": v for k, v in beam.items()
                            if not k.startswith(("sentences_", "stopped_"))})
            metrics[f"{split}_sentences"] = len(sources)
        return metrics

    # -- its saved config, batch inference and export (see zoo.saving, zoo.batch, zoo.export) --

    def batch_answerer(self, **options):
        """``answer(texts)``: :meth:`translate` with ``details=True`` and ``options``."""
        return lambda texts: self.translate(texts, details=True, **options)

    @staticmethod
    def answer_json(result):
        return {"translation": result.text, "pieces": result.pieces,
                "sentences": result.sentences, "too_long": result.too_long,
                "truncated": result.truncated, "finished": result.finished,
                "stop_reason": result.stop_reason}

    def export_refusal(self, format):
        return decoding_loop_refusal(self, format)

    def export_meta(self):
        return {**super().export_meta(),
                "special_ids": {"pad": self.target_vocab.pad_id, "bos": self.target_vocab.bos_id,
                                "eos": self.target_vocab.eos_id,
                                "unk": self.source_vocab.unk_id},
                "vocabularies": {"source": "source_vocab.json", "target": "target_vocab.json"}}

    def export_files(self):
        return {"source_vocab.json": list(self.source_vocab.tokens),
                "target_vocab.json": list(self.target_vocab.tokens)}

    def export_endpoints(self, archive):
        task = self
        ids = task._source_ids([["a"]])
        vocab = task.target_vocab
        max_length = min(2 * task.max_tokens, decoding.MAX_DECODE_LENGTH)
        return decoder_endpoints(
            archive, task._encode, task._step, tf.TensorSpec((None, None), tf.int32,
                                                             name="source_ids"),
            ids, bos=vocab.bos_id, eos=vocab.eos_id, pad=vocab.pad_id, max_length=max_length,
            greedy_name="translate_greedy")

    def export_check(self, loaded):
        texts = ["a"]
        ids = self._source_ids([self.source_tokens(t) for t in texts])
        got = loaded.translate_greedy(tf.constant(ids))["scores"].numpy()
        # the exported loop has no repetition stop: compare with a search without one
        want = np.array([self.translate(texts, details=True, repeat_limit=None)[0].score],
                        np.float32)
        return got, want


def corpus_scores(hypotheses, references, *, lowercase=False):
    """Corpus BLEU and chrF (sacrebleu, 0-100) of detokenized translations against one
    reference each, ``{"bleu": ..., "chrf": ...}``; both case-insensitive with ``lowercase``."""
    refs = [list(references)]
    bleu = sacrebleu.corpus_bleu(list(hypotheses), refs, lowercase=lowercase)
    chrf = sacrebleu.corpus_chrf(list(hypotheses), refs) if not lowercase else \
        sacrebleu.corpus_chrf([h.lower() for h in hypotheses], [[r.lower() for r in refs[0]]])
    return {"bleu": float(bleu.score), "chrf": float(chrf.score)}


def _join(parts):
    """One :class:`Translation` from the translations of a text's pieces (attention weights
    block-diagonal: each piece's words looked only at its own source)."""
    if len(parts) == 1:
        return parts[0]
    attention = None
    if all(p.attention is not None for p in parts):
        rows = sum(len(p.tokens) for p in parts)
        cols = sum(len(p.source_tokens) for p in parts)
        attention = np.zeros((rows, cols), dtype="float32")
        r = c = 0
        for p in parts:
            attention[r:r + len(p.tokens), c:c + len(p.source_tokens)] = p.attention
            r, c = r + len(p.tokens), c + len(p.source_tokens)
    return Translation(text=" ".join(p.text for p in parts if p.text),
                       tokens=[t for p in parts for t in p.tokens],
                       source_tokens=[t for p in parts for t in p.source_tokens],
                       unknown=[t for p in parts for t in p.unknown],
                       score=float(np.mean([p.score for p in parts])),
                       finished=all(p.finished for p in parts), attention=attention,
                       truncated=any(p.truncated for p in parts), pieces=len(parts),
                       stop_reason=next((p.stop_reason for p in parts if p.stop_reason != "end"),
                                        "end"))


# the options of word tokenization that SentencePiece has no use for, and what to do instead
WORD_ONLY_OPTIONS = {
    "lowercase": "SentencePiece keeps the case; leave it out, or use tokenizer=words",
    "min_count": "SentencePiece has no count threshold; its vocabulary is sized by "
                 "target_vocab_size",
    "source_vocab_size": "both languages share one SentencePiece vocabulary, sized by "
                         "target_vocab_size",
}


def _refuse_word_options(model_name, options):
    """A word-tokenization option set (not its default) with ``tokenizer=sentencepiece``
    would be ignored: refuse it, saying what to use."""
    defaults = get_spec(model_name).options()
    for key, instead in WORD_ONLY_OPTIONS.items():
        if key in options and options[key] != defaults.get(key):
            raise ConfigError(f"the option {key} is for tokenizer=words, not sentencepiece: "
                              f"{instead}")


def _unknown_rate(token_lists, vocab):
    total = sum(len(t) for t in token_lists)
    unknown = sum(1 for t in token_lists for tok in t if tok not in vocab)
    return unknown / total if total else 0.0


def _bucket_width(length, step=4):
    return ((int(length) + step - 1) // step) * step


def make_batches(examples, batch_size, *, bos_id, eos_id, shuffle, seed=0):
    """A ``tf.data`` pipeline of teacher-forcing batches ``((source, target_in), target_out,
    weights)``, padded with 0.

    Pairs of similar length are batched together (buckets of 4 tokens) so little time goes to
    padding; with ``shuffle`` the batches are redrawn every epoch (seeded).
    """
    examples = list(examples)
    widths = [_bucket_width(max(len(s), len(t) + 1)) for s, t in examples]
    epoch = [0]

    def batches():
        rng = np.random.default_rng([int(seed), epoch[0]])
        epoch[0] += 1
        order = rng.permutation(len(examples)) if shuffle else np.arange(len(examples))
        groups = {}
        for index in order:
            groups.setdefault(widths[index], []).append(index)
        chunks = [members[i:i + batch_size] for _, members in sorted(groups.items())
                  for i in range(0, len(members), batch_size)]
        if shuffle:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        for chunk in chunks:
            width = widths[chunk[0]]
            source = np.zeros((len(chunk), width), dtype="int32")
            target_in = np.zeros((len(chunk), width), dtype="int32")
            target_out = np.zeros((len(chunk), width), dtype="int32")
            for row, index in enumerate(chunk):
                s, t = examples[index]
                source[row, :len(s)] = s
                target_in[row, :len(t) + 1] = [bos_id] + list(t)
                target_out[row, :len(t) + 1] = list(t) + [eos_id]
            yield (source, target_in), target_out, (target_out != 0).astype("float32")

    sizes = {}
    for width in widths:
        sizes[width] = sizes.get(width, 0) + 1
    num_batches = sum(-(-size // batch_size) for size in sizes.values())
    spec = tf.TensorSpec((None, None), tf.int32)
    dataset = tf.data.Dataset.from_generator(
        batches, output_signature=((spec, spec), spec, tf.TensorSpec((None, None), tf.float32)))
    # The generator's length is known: telling tf.data gives Keras its steps per epoch.
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(num_batches))
    return dataset.prefetch(2)


__all__ = ["Translator", "Translation", "make_batches"]
