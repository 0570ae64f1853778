"""Image captioning: images in, sentences out (and, with attention, where each word looked)."""

import dataclasses
import pathlib

from PIL import Image, ImageDraw
import keras
import numpy as np
from sacrebleu.metrics import BLEU
import tensorflow as tf

from zoo import decoding, saving
from zoo.checks import check_choice, check_kind, check_number, check_texts
from zoo.errors import ConfigError, DataError
from zoo.familiarity import GUESS_NOTE, save_beside
from zoo.tasks.base import Headline, Prepared, Task, decoding_loop_refusal
from zoo.serving import decoder_endpoints
from zoo.text.vocab import Vocabulary
from zoo.data.captions import load_caption_data
from zoo.preprocessing import ImagePreprocessor
from zoo.models.captioning import CaptionInference
from zoo.registry import get_spec
from zoo.text.tokenize import detokenize

METHODS = ("greedy", "beam")


@dataclasses.dataclass
class Caption:
    """The caption of one image.

    Attributes:
        text: the sentence (lower case, no punctuation, as the training captions were cleaned).
        words: its words.
        score: greedy: the sum of the words' log-probabilities (end token included); beam: that
            sum divided by the GNMT length penalty.
        finished: the caption ended with the end token (else it was cut at the maximum length).
        attention: Show, Attend and Tell only, when asked: one map per word (and one for the end
            token when ``finished``), float32 ``(steps, grid_height, grid_width)``, each map
            summing to 1.
        candidates: beam search only: every hypothesis kept, ``[(text, score), ...]`` best first.
        familiar: ``False`` when the captioner's calibrated familiarity signal
            (:mod:`zoo.familiarity`: the distance of the picture's image features to the
            training pictures') finds the picture unlike its training data: the caption is then
            a guess. ``None`` for a weight published without calibration.
        familiarity: the share of held-out training-like pictures at least as strange (1:
            ordinary; below the calibrated false-alarm rate, 5%: flagged), or ``None``.
        note: :data:`zoo.familiarity.GUESS_NOTE` when ``familiar`` is ``False``, else ``None``.
    """

    text: str
    words: list
    score: float
    finished: bool = True
    attention: object = None
    candidates: list = None
    familiar: bool = None
    familiarity: float = None
    note: str = None


def caption_scores(hypotheses, references):
    """BLEU-1..4 (sacrebleu, 0-100) and the exact-match rate of captions against references.

    Args:
        hypotheses: one caption per image.
        references: per image, the list of its reference captions (any number, at least one).

    Returns:
        ``{"bleu1": .., "bleu2": .., "bleu3": .., "bleu4": .., "exact_match": .., "images": n}``.
        BLEU is sacrebleu's corpus BLEU with the maximum n-gram order 1 to 4 (its default 13a
        tokenizer, exponential smoothing), every reference of an image used; exact match is the
        share of images whose caption equals one of their references.
    """
    hypotheses = check_texts(hypotheses, "the captions", single=False)
    if not isinstance(references, (list, tuple)):
        raise ConfigError("references must be a list with, per image, a list of its reference "
                          "captions")
    references = [check_texts(refs, f"references of image {i + 1}")
                  for i, refs in enumerate(references)]
    if len(hypotheses) != len(references) or not hypotheses:
        raise DataError(f"{len(hypotheses)} captions for {len(references)} reference lists; "
                        "give one list of reference captions per caption")
    if any(not refs for refs in references):
        raise DataError("every image needs at least one reference caption; give a list of "
                        "captions per image")
    most = max(len(refs) for refs in references)
    streams = [[refs[i] if i < len(refs) else None for refs in references] for i in range(most)]
    scores = {f"bleu{n}": float(BLEU(max_ngram_order=n).corpus_score(hypotheses, streams).score)
              for n in range(1, 5)}
    exact = np.mean([h in set(refs) for h, refs in zip(hypotheses, references)])
    return dict(scores, exact_match=float(exact), images=len(hypotheses))


class Captioner(Task):
    """A trained captioning model that describes image files, PIL images or arrays.

    Captions are written by the shared decoders of :mod:`zoo.decoding` (greedy or beam search,
    the whole batch in one compiled loop) over the model's step function
    (:class:`zoo.models.captioning.CaptionInference`).

    Args:
        model: a ``keras.Model`` from :func:`zoo.models.captioning.build_captioner`.
        config: plain data saved with it: ``model`` (registered name), ``options``,
            ``vocabulary`` (see :meth:`zoo.text.Vocabulary.to_dict`), ``preprocessor`` (an
            :class:`~zoo.preprocessing.ImagePreprocessor`'s config, see
            :func:`zoo.data.captions.caption_preprocessing`) and ``max_caption_length``.

    Example:
        >>> captioner = zoo.load("runs/show_attend_tell")  # doctest: +SKIP
        >>> captioner.caption(["canvas.png"], method="beam", beam_width=3)[0].text  # doctest: +SKIP
        'a small 4 left of a large 1'
    """

    task = "captioning"
    noun = "a captioner"
    headline = Headline("test_bleu4", "test BLEU-4 (greedy)", "max")
    config_schema = {"vocabulary": "vocab", "preprocessor": "preprocessor"}
    recipe_settings = {
        "eval_beam_width": ("int", 0, 64), "max_caption_length": ("int", 1, 1000),
        "min_word_count": ("int", 1, 10**9), "num_canvases": ("int", 1, 1_000_000),
        "num_test_canvases": ("int", 1, 1_000_000), "max_eval_images": ("int", 1, 10**9),
        "caption_column": ("str", None, None)}
    command = "caption"
    memory_hint = "give fewer images at a time, or a smaller --beam"
    batch_input = "images"
    metric_names = {"sparse_categorical_accuracy": "word_accuracy"}

    def __init__(self, model, config):
        super().__init__(model, config)
        self.vocabulary = Vocabulary.from_dict(config["vocabulary"])
        for token in ("<pad>", "<unk>", "<s>", "</s>"):
            if token not in self.vocabulary:
                raise DataError(f"the caption vocabulary lacks {token}; it must be the one the "
                                "model was trained with (restore the run's zoo.json or retrain)")
        if len(self.vocabulary) != model.output_shape[-1]:
            raise ConfigError(f"a vocabulary of {len(self.vocabulary)} words for a model with "
                              f"{model.output_shape[-1]} outputs; the vocabulary must be the one "
                              "it was trained with (restore the run's zoo.json or retrain)")
        if not isinstance(self.preprocessor, ImagePreprocessor):
            raise ConfigError("a captioner needs an image preprocessor (its zoo.json was "
                              "changed: restore it or retrain)")
        self.max_caption_length = int(config.get("max_caption_length", 20))
        self._inference = None

    def save(self, directory):
        """Save weights and config (vocabulary and preprocessing included) to ``directory``.

        The backbone weights path is not kept: every weight is in the saved weights file. The
        familiarity calibration, when there is one, is saved beside them.
        """
        config = dict(self.config)
        if config.get("options", {}).get("backbone_weights"):
            config["options"] = dict(config["options"], backbone_weights=None)
        saving.save_artifact(directory, self.model, config)
        save_beside(self.familiarity, directory)

    @property
    def input_shape(self):
        return tuple(self.model.input_shape[0][1:])

    @property
    def has_attention(self):
        return bool(self.config["options"].get("attention"))

    def preprocess(self, images):
        """Turn images (paths, bytes, PIL images or arrays, any mode) into one float32 batch."""

        return self.preprocessor(images)

    def inference(self):
        """The :class:`~zoo.models.captioning.CaptionInference` of this model (made once)."""
        if self._inference is None:

            vocab = self.vocabulary
            self._inference = CaptionInference(
                self.model, blocked_ids=(vocab.pad_id, vocab.unk_id, vocab.bos_id))
        return self._inference

    def caption(self, images, *, method="greedy", beam_width=3, max_length=None,
                length_penalty=0.6, attention=False, batch_size=64):
        """Describe each image in a sentence.

        Args:
            images: a list of paths, bytes, PIL images or arrays (or one of them).
            method: ``"greedy"`` (the most probable word at each step) or ``"beam"``.
            beam_width: hypotheses kept per image by beam search.
            max_length: the most words per caption (default: the training setting).
            length_penalty: beam search's GNMT length penalty ``alpha`` (0: raw log-probability).
            attention: also return the attention map of each word (Show, Attend and Tell only).
            batch_size: images decoded together.

        Returns:
            One :class:`Caption` per image, in order.
        """
        check_choice(method, "method", METHODS)
        max_length, beam_width, length_penalty = decoding.check_search(
            max_length=max_length, beam_width=beam_width if method == "beam" else None,
            length_penalty=length_penalty)
        beam_width = 3 if beam_width is None else beam_width
        length_penalty = 0.6 if length_penalty is None else length_penalty
        if attention and not self.has_attention:
            raise ConfigError(f"{self.config['model']} has no attention to show; attention maps "
                              "come from Show, Attend and Tell models such as show_attend_tell")
        batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
        batch = self.preprocess(images)
        length = int(max_length or self.max_caption_length) + 1  # room for </s>
        results = []
        for start in range(0, len(batch), int(batch_size)):
            results += self._decode(batch[start:start + int(batch_size)], method,
                                    int(beam_width), length, float(length_penalty), attention)
        return results

    def _decode(self, batch, method, beam_width, length, length_penalty, attention):
        inference = self.inference()
        signal = self.familiarity
        familiar = familiarity = [None] * len(batch)
        if signal is not None and signal.needs() == "features":
            state, features = inference.initial_state_and_features(batch)
            scores = signal.score(features=features)
            familiar = [bool(f) for f in signal.familiar(scores)]
            familiarity = [float(f) for f in signal.familiarity(scores)]
        else:
            state = inference.initial_state(batch)
        vocab = self.vocabulary
        start = np.full((len(batch),), vocab.bos_id, dtype=np.int32)
        if method == "greedy":
            found = decoding.greedy_decode(inference, state, start, max_length=length,
                                           end_id=vocab.eos_id, pad_id=vocab.pad_id)
            tokens, scores, extras = found.tokens, found.scores, found.extras
            lengths, finished = found.lengths, found.finished
            candidates = [None] * len(batch)
        else:
            found = decoding.beam_search(inference, state, start, beam_width=beam_width,
                                         max_length=length, end_id=vocab.eos_id,
                                         pad_id=vocab.pad_id, length_penalty=length_penalty)
            candidates = [[(self._text(row), float(score)) for row, score in zip(rows, marks)]
                          for rows, marks in zip(found.tokens, found.scores)]
            tokens, scores, lengths = found.tokens[:, 0], found.scores[:, 0], found.lengths[:, 0]
            finished = found.finished[:, 0]
            extras = None if found.extras is None else found.extras[:, 0]
        results = []
        for index, row in enumerate(tokens):
            words = vocab.decode(row)
            maps = None
            if attention and extras is not None:
                grid = self.inference().grid
                steps = int(lengths[index])
                maps = np.asarray(extras[index, :steps], dtype=np.float32).reshape(
                    (steps,) + tuple(grid))
            results.append(Caption(text=self._text(row), words=words, score=float(scores[index]),
                                   finished=bool(finished[index]), attention=maps,
                                   candidates=candidates[index], familiar=familiar[index],
                                   familiarity=familiarity[index],
                                   note=GUESS_NOTE if familiar[index] is False else None))
        return results

    def _text(self, ids):

        return detokenize(self.vocabulary.decode(ids))

    def attention_figure(self, image, caption, *, scale=4, per_row=6):
        """A PIL image: the picture as the model saw it, then one panel per word (and the end
        token) with its attention map laid over the picture, the word written above.

        Args:
            image: the image that was captioned (anything :meth:`caption` takes).
            caption: its :class:`Caption`, made with ``attention=True``.
            scale: how many screen pixels per model input pixel.
            per_row: panels per row of the figure.
        """
        check_kind(caption, "caption", Caption, "a Caption from caption([...], attention=True)")
        if caption.attention is None:
            raise ConfigError("this caption has no attention maps; caption with attention=True")
        scale = check_number(scale, "scale", whole=True, low=1, high=64)
        per_row = check_number(per_row, "per_row", whole=True, low=1, high=1000)
        picture = self.preprocess([image])[0]
        height, width = picture.shape[:2]
        gray = (picture.mean(axis=-1) * 255).astype(np.uint8)
        base = Image.fromarray(gray).convert("RGB").resize((width * scale, height * scale),
                                                           Image.Resampling.NEAREST)
        labels = ["(image)"] + list(caption.words) + ["</s>"]
        panels = [base]
        for alpha in caption.attention[:len(labels) - 1]:
            peak = float(alpha.max()) or 1.0
            heat = Image.fromarray(np.uint8(255 * alpha / peak)).resize(
                base.size, Image.Resampling.BILINEAR)
            overlay = Image.merge("RGB", (heat, Image.new("L", base.size, 0),
                                          Image.new("L", base.size, 0)))
            panels.append(Image.blend(base, overlay, 0.5))
        label_height, gap = 16, 4
        columns = max(1, min(len(panels), int(per_row)))
        rows = -(-len(panels) // columns)
        cell_w, cell_h = base.width + gap, base.height + label_height + gap
        figure = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
        draw = ImageDraw.Draw(figure)
        for index, (panel, label) in enumerate(zip(panels, labels)):
            left, top = (index % columns) * cell_w, (index // columns) * cell_h
            figure.paste(panel, (left, top + label_height))
            draw.text((left + 2, top + 2), label, fill="black")
        return figure

    def evaluate_captions(self, images, references, *, method="greedy", beam_width=3,
                          batch_size=128):
        """BLEU-1..4 and exact match (:func:`caption_scores`) of the captions of ``images``."""
        captions = self.caption(images, method=method, beam_width=beam_width,
                                batch_size=batch_size)
        return caption_scores([c.text for c in captions], references)

    # -- training hooks (see zoo.training) ------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Read the captions, split by image, build (or reuse) the vocabulary, fill in
        ``vocab_size`` and ``image_shape``."""

        recipe = {**get_spec(model_name).train, **dict((assets or {}).get("train") or {}),
                  **dict(request.recipe or {})}
        vocabulary = None
        if assets and assets.get("vocabulary"):
            vocabulary = Vocabulary.from_dict(assets["vocabulary"])
        data = load_caption_data(request.dataset, image_shape=options.get("image_shape"),
                                 batch_size=request.batch_size, data_dir=request.data_dir,
                                 validation_fraction=request.validation_fraction,
                                 seed=request.seed, vocabulary=vocabulary, recipe=recipe,
                                 test_data=request.test_data, train_size=request.train_size)
        options = dict(options)
        size = len(data.vocabulary)
        if options.get("vocab_size") not in (None, size):
            raise ConfigError(f"{model_name} was asked for vocab_size={options['vocab_size']} "
                              f"but the training captions have {size} words (specials "
                              "included); leave vocab_size out, the data sets it")
        options["vocab_size"] = size
        options["image_shape"] = list(data.image_shape)
        info = data.info
        images, captions = info["images"], info["captions"]
        return Prepared(
            train=data.train, validation=data.validation, test=data.test, options=options,
            assets={"vocabulary": data.vocabulary.to_dict(),
                    "preprocessor": data.preprocessor.to_dict(),
                    "max_caption_length": int(info["max_caption_length"])},
            data_info=info, held_out=data.splits,
            summary=f"{info['name']} [{info['source']}], {images['train']:,} train / "
                    f"{images['validation']:,} validation / {images['test']:,} test images "
                    f"({captions['train']:,} / {captions['validation']:,} / "
                    f"{captions['test']:,} captions), {size} words in the vocabulary, images "
                    f"{'x'.join(str(d) for d in data.image_shape)}")

    @staticmethod
    def compile_model(model, optimizer):
        model.compile(optimizer=optimizer,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      weighted_metrics=["sparse_categorical_accuracy"])

    def measure(self, prepared, splits=("validation", "test")):
        """Held-out figures as ``{split}_{metric}``: teacher-forced loss and word accuracy, then
        BLEU-1..4 and exact match of greedy captions (and of beam-search captions, as
        ``{split}_beam_*``, when the recipe's ``eval_beam_width`` is above 1) against every
        reference of each image."""
        beam = int(self.config.get("train", {}).get("eval_beam_width", 0) or 0)
        metrics = {}
        for split in splits:
            data = getattr(prepared, split, None)
            held = prepared.held_out.get(split)
            if data is None or held is None:
                continue
            metrics.update({f"{split}_{k}": v for k, v in self.evaluate(data).items()})
            images = np.asarray(self.preprocessor.rescale(held.images))
            for name, method in (("", "greedy"), ("beam_", "beam")):
                if method == "beam" and beam < 2:
                    continue
                scores = self.evaluate_captions(images, held.references, method=method,
                                                beam_width=beam)
                metrics.update({f"{split}_{name}{k}": v for k, v in scores.items()
                                if k != "images"})
            metrics[f"{split}_images"] = len(held)
        return metrics

    # -- its saved config, batch inference and export (see zoo.saving, zoo.batch, zoo.export) --

    @classmethod
    def check_config(cls, config, where=saving.CONFIG_FILE):
        super().check_config(config, where)
        if config.get("max_caption_length") is not None and \
                not saving.whole(config["max_caption_length"], 1, 1000):
            raise saving.damaged(where, "max_caption_length", "a whole number from 1 to 1,000")

    @classmethod
    def record_summary(cls, config):
        out = super().record_summary(config)
        if "max_caption_length" in config:
            out["max_caption_length"] = config["max_caption_length"]
        return out

    def batch_read(self, paths):
        batch, _, errors = self.preprocessor.read_files(paths)
        return batch, errors

    def batch_answerer(self, *, method="greedy", beam_width=3, max_length=None):
        check_choice(method, "method", ("greedy", "beam"))
        decoding.check_search(max_length=max_length, beam_width=beam_width if method == "beam"
                              else None)
        return lambda batch: self.caption(batch, method=method, beam_width=beam_width,
                                          max_length=max_length, batch_size=len(batch))

    @staticmethod
    def answer_json(caption):
        return {"caption": caption.text, "score": caption.score, "finished": caption.finished,
                "note": caption.note, "familiar": caption.familiar,
                "familiarity": caption.familiarity}

    def export_refusal(self, format):
        return decoding_loop_refusal(self, format)

    def sample_inputs(self, count=4, seed=0):
        rng = np.random.default_rng(seed)
        return rng.random((count,) + tuple(self.input_shape), dtype=np.float32)

    def export_meta(self):
        vocab = self.vocabulary
        return {**super().export_meta(), "vocabularies": {"vocabulary": "vocab.json"},
                "special_ids": {t: vocab.id(t) for t in vocab.specials}}

    def export_files(self):
        return {"vocab.json": list(self.vocabulary.tokens)}

    def export_endpoints(self, archive):
        task = self
        inference = task.inference()
        vocab = task.vocabulary
        shape = tuple(task.input_shape)
        encoder, decoder = inference.encoder, inference.decoder

        def encode(images):
            return decoder.initial_state(encoder(images, training=False))

        return decoder_endpoints(
            archive, encode, inference, tf.TensorSpec((None,) + shape, tf.float32,
                                                      name="images"),
            np.zeros((1,) + shape, np.float32), bos=vocab.bos_id, eos=vocab.eos_id,
            pad=vocab.pad_id, max_length=task.max_caption_length + 1,
            greedy_name="caption_greedy")

    def export_check(self, loaded):
        x = self.sample_inputs(count=2)
        got = loaded.caption_greedy(tf.constant(x))["scores"].numpy()
        return got, np.array([c.score for c in self.caption(x)], np.float32)



def attention_peaks(caption):
    """Where each word (and the end token) looked hardest: ``[(word, row, col, weight), ...]``
    in cells of the attention grid, row 0 at the top."""
    if caption.attention is None:
        return []
    peaks = []
    for word, alpha in zip(list(caption.words) + ["</s>"], caption.attention):
        row, col = np.unravel_index(int(np.argmax(alpha)), alpha.shape)
        peaks.append((word, int(row), int(col), float(alpha[row, col])))
    return peaks


def write_attention_figures(captioner, images, captions, out_dir):
    """Write one attention figure PNG per image into ``out_dir``; their paths."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (image, caption) in enumerate(zip(images, captions)):
        stem = pathlib.Path(image).stem if isinstance(image, (str, pathlib.Path)) \
            else f"image{index}"
        path = out_dir / f"{stem}.attention.png"
        captioner.attention_figure(image, caption).save(path)
        paths.append(path)
    return paths
