"""Batch inference over many files: images through a classifier or a captioner, sentences
through a translator, written as they go and resumable after a kill.

- Images are read a batch at a time by the task's ``batch_read`` (the task's own
  preprocessing, so every answer is the task's ``predict`` / ``caption`` answer up to float
  rounding: the batch size can change the last bits of a probability or a score) in a
  background thread, two batches ahead, while the model works on the batch before.
- One JSON line per input is written, and the file flushed after every batch. A file that
  cannot be read (not an image, damaged, empty, missing, too large) gets a line with
  ``"skipped"`` (the reason) and ``"error"`` (the message) instead, and is counted.
- Rerunning the same command reads the output back: inputs it already holds are not redone,
  and a torn last line (the process was killed mid-write) is cut off first and redone. The
  files an earlier run skipped are read again (it costs a failed read each): their lines are
  taken out of the output (rewritten through a ``.part`` file and a rename) and written anew,
  an answer for a file fixed since, else ``"skipped"`` again, counted by reason in this run's
  summary like any other, so a rerun never reports fewer problems than there are. Every input
  ends up in the output exactly once.

What a task answers and how its answer is written come from the task class (see
:mod:`zoo.tasks.base`): ``batch_input`` (image files or the lines of a text file),
``batch_read`` (or ``batch_load``), ``batch_answerer`` and ``answer_json``; :func:`answer_files` runs any task
whose input is image files, :func:`answer_lines` any whose input is the lines of a text file. The CLI (``zoo predict DIR --output FILE``, ``zoo caption ...
--output``, ``zoo translate --input FILE --output FILE``) is a thin layer over
:func:`predict_files`, :func:`caption_files` and :func:`translate_file`.
"""

import collections
import concurrent.futures
import dataclasses
import glob
import json
import os
import pathlib
import sys

from tqdm import tqdm

from zoo.checks import check_choice, check_number, check_path, check_paths, check_task
from zoo.errors import ConfigError, DataError
from zoo import decoding
from zoo._io import open_text_file
from zoo._naming import shown
from zoo.tasks.base import Task

GLOB_CHARS = "*?["


@dataclasses.dataclass
class Summary:
    """What a batch run did: ``done`` answered now, ``resumed`` already answered in the output
    by an earlier run, ``skipped`` now, by reason; ``retried``: how many of ``done`` and
    ``skipped`` an earlier run had skipped (read again, see the module docstring)."""

    done: int = 0
    resumed: int = 0
    skipped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    output: str = ""
    retried: int = 0

    @property
    def total(self):
        return self.done + self.resumed + sum(self.skipped.values())

    def line(self):
        """One line for the terminal, e.g. ``98 done, 2 skipped (1 not an image, 1 empty
        file)``."""
        parts = [f"{self.done} done"]
        if self.resumed:
            parts.append(f"{self.resumed} already in {self.output} from an earlier run")
        count = sum(self.skipped.values())
        if count:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
            parts.append(f"{count} skipped ({reasons})")
        else:
            parts.append("0 skipped")
        line = ", ".join(parts)
        if self.retried:
            line += f"; {self.retried} skipped by an earlier run, read again"
        return line


def expand_inputs(specs):
    """The files that ``specs`` name: files as they are, directories by their files (all
    depths, sorted, hidden ones left out), glob patterns (``**`` for all depths) by their
    matches. Raises :class:`DataError` for a name that matches nothing."""
    specs = check_paths(specs, "the inputs")
    files, seen = [], set()
    for spec in specs:
        text = os.fspath(spec)
        if os.path.isdir(text):
            found = sorted(str(p) for p in pathlib.Path(text).rglob("*")
                           if p.is_file() and not any(part.startswith(".") for part in
                                                      p.relative_to(text).parts))
        elif os.path.exists(text):
            found = [text]
        elif any(c in text for c in GLOB_CHARS):
            found = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not found:
                raise DataError(f"{_shown(text)}: the pattern matches no file")
        else:
            raise DataError(f"{_shown(text)}: no such file, directory or pattern")
        for path in found:
            if path not in seen:
                seen.add(path)
                files.append(path)
    if not files:
        raise DataError("no input files: the directories given are empty")
    return files


def _shown(path):

    return shown(path)


def reason_of(message):
    """A short, countable reason for a file that could not be read, from its error message."""
    text = str(message)
    for needle, reason in (("no such file", "missing"), ("not an image", "not an image"),
                           ("empty file", "empty file"), ("damaged or truncated", "damaged"),
                           ("too large", "too large"), ("cannot be read as", "unsupported mode"),
                           ("permission", "unreadable")):
        if needle in text.lower():
            return reason
    return "unreadable"


# -- the output file ---------------------------------------------------------------------------


def read_finished(output, key):
    """The values of ``key`` in the complete lines of an earlier run's ``output`` (JSON lines),
    cutting off a torn last line first. ``key=None`` reads a text output (one answer a line):
    the values are the line numbers. Returns ``(values, number of lines)``."""
    path = check_path(output, "the output")
    if not path.exists():
        return [], 0
    if path.is_dir():
        raise DataError(f"{_shown(path)}: a directory; give a file name for --output")
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):  # killed mid-line: drop the torn end, it is redone
        with open(path, "r+b") as handle:
            handle.truncate(end)
        data = data[:end]
    lines = data.split(b"\n")[:-1] if data else []
    if key is None:
        return list(range(1, len(lines) + 1)), len(lines)
    values = []
    for number, raw in enumerate(lines, 1):
        try:
            record = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise DataError(f"{_shown(path)}: line {number} is not a JSON line of an earlier "
                            "run; give another --output (or delete this one)") from None
        if not isinstance(record, dict) or key not in record:
            raise DataError(f"{_shown(path)}: line {number} has no {key!r}; it is not the "
                            "output of this command; give another --output")
        values.append(record[key])
    return values, len(lines)


def _take_out_skipped(output, paths):
    """Remove the ``"skipped"`` lines of an earlier run for the files ``paths`` from ``output``
    (the complete lines :func:`read_finished` left, rewritten through a ``.part`` file and a
    rename, so a kill leaves the old file or the new one); returns those files."""
    path, paths = pathlib.Path(output), set(paths)
    if not path.is_file():
        return []
    kept, skipped = [], []
    for raw in path.read_bytes().split(b"\n")[:-1]:
        record = json.loads(raw.decode("utf-8"))  # read_finished checked every line
        if "skipped" in record and str(record["path"]) in paths:
            skipped.append(str(record["path"]))
        else:
            kept.append(raw)
    if skipped:
        part = path.with_name(path.name + ".part")
        part.write_bytes(b"".join(line + b"\n" for line in kept))
        os.replace(part, path)
    return skipped


def _open_append(output):
    path = pathlib.Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a", encoding="utf-8")
    except OSError as err:
        raise DataError(f"{_shown(path)}: cannot write the output ({err.strerror})") from None


def _progress(total, initial, unit, progress):
    return tqdm(total=total, initial=initial, unit=unit, disable=not progress, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


# -- images ------------------------------------------------------------------------------------


def image_batches(paths, read, *, batch_size, ahead=2):
    """``paths`` read a batch at a time by ``read(paths) -> (inputs, errors)`` (a task's
    ``batch_read``) in a background thread, up to ``ahead`` batches ahead, so the files of the
    next batches are decoded while the caller's model works on this one (TensorFlow lets go of
    Python's lock while it computes). Yields ``(paths, inputs, errors)`` in order, where
    ``errors[i]`` is ``""`` for a file that was read and the message otherwise, and ``inputs``
    holds the files that were read.
    """
    chunks = [paths[start:start + int(batch_size)]
              for start in range(0, len(paths), int(batch_size))]
    pending = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(read, chunk)))
                if len(pending) > ahead:
                    names, future = pending.popleft()
                    yield (names, *future.result())
            while pending:
                names, future = pending.popleft()
                yield (names, *future.result())
        finally:
            for _, future in pending:
                future.cancel()


def _run_images(paths, output, *, read, answer, batch_size, progress, unit="img"):

    batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
    finished, _ = read_finished(output, "path")
    retry = set(_take_out_skipped(output, paths)) if finished else set()
    finished = set(map(str, finished)) - retry
    summary = Summary(output=_shown(output))
    summary.resumed = sum(1 for p in paths if p in finished)
    summary.retried = sum(1 for p in paths if p in retry)
    todo = [p for p in paths if p not in finished]
    with _open_append(output) as handle, _progress(len(paths), summary.resumed, unit,
                                                    progress) as bar:
        for names, inputs, errors in image_batches(todo, read, batch_size=batch_size):
            failed = sum(map(bool, errors))
            answers = iter(answer(inputs) if failed < len(errors) else [])
            lines = []
            for name, error in zip(names, errors):
                if error:
                    reason = reason_of(error)
                    summary.skipped[reason] += 1
                    record = {"path": name, "skipped": reason, "error": error}
                else:
                    record = {"path": name, **next(answers)}
                lines.append(json.dumps(record, ensure_ascii=False))
            summary.done += len(names) - failed
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            bar.update(len(names))
    return summary


def answer_files(task, inputs, output, *, batch_size=64, progress=True, **options):
    """Answer every image ``inputs`` names (files, directories, glob patterns) with ``task``
    (any task whose ``batch_input`` is ``"images"``) into the JSON lines file ``output``:
    ``{"path", **task.answer_json(answer)}`` per image; ``options`` go to the task's
    ``batch_answerer`` (``top_k``, ``method``...). Resumes an earlier run into the same output.

    Returns a :class:`Summary`.
    """
    if not isinstance(task, Task) or task.batch_input != "images":
        raise ConfigError(f"batch inference over image files takes a task that answers images "
                          f"(an image classifier, a captioner: zoo.load(...) of one), got "
                          f"{getattr(task, 'noun', type(task).__name__)}")
    answerer = task.batch_answerer(**options)
    paths = expand_inputs(inputs)

    def answer(batch):
        return [task.answer_json(a) for a in answerer(batch)]

    return _run_images(paths, output, read=task.batch_read, answer=answer,
                       batch_size=batch_size, progress=progress)


def predict_files(classifier, inputs, output, *, batch_size=64, top_k=3, progress=True):
    """Classify every image ``inputs`` names (files, directories, glob patterns) into the JSON
    lines file ``output``: ``{"path", "label", "probability", "top": [{"label",
    "probability"}, ...]}`` per image. Resumes an earlier run into the same output.

    Returns a :class:`Summary`.
    """

    check_task(classifier, "the classifier", "image_classification",
               "an image classifier (zoo.load(...) of one)")
    return answer_files(classifier, inputs, output, batch_size=batch_size, progress=progress,
                        top_k=top_k)


def caption_files(captioner, inputs, output, *, batch_size=32, method="greedy", beam_width=3,
                  max_length=None, progress=True):
    """Caption every image ``inputs`` names into the JSON lines file ``output``: ``{"path",
    "caption", "score", "finished", "note", "familiar", "familiarity"}`` per image (``note``:
    :data:`zoo.familiarity.GUESS_NOTE` for a picture unlike the training data). Resumes an
    earlier run into the same output."""

    check_task(captioner, "the captioner", "captioning", "a captioner (zoo.load(...) of one)")
    return answer_files(captioner, inputs, output, batch_size=batch_size, progress=progress,
                        method=method, beam_width=beam_width, max_length=max_length)


# -- sentences ---------------------------------------------------------------------------------

OUTPUT_FORMATS = ("jsonl", "text")


def output_format(output, format=None):
    """``format``, or from the output's name: ``.txt`` is text, anything else JSON lines."""
    if format is None:
        format = "text" if str(output).lower().endswith(".txt") else "jsonl"
    return check_choice(format, "the output format", OUTPUT_FORMATS)


def _sentences(path, limit):
    """The lines of a UTF-8 text file, one sentence each, without their line ends. The file
    must be a regular file (not a FIFO or a device), and no line may have more than ``limit``
    characters: one line is read at most ``limit + 2`` characters at a time, so a file without
    line ends is refused, not read into memory whole."""
    handle = open_text_file(path, "a text file, one sentence a line")
    with handle:
        number = 0
        try:
            while True:
                line = handle.readline(limit + 2)  # the text, and a line end of up to 2
                if not line:
                    break
                number += 1
                text = line.rstrip("\r\n")
                if len(text) > limit:
                    raise DataError(f"{_shown(path)}: line {number} has more than {limit:,} "
                                    "characters; split it into sentences, one a line")
                yield text
        except UnicodeDecodeError as err:
            raise DataError(f"{_shown(path)}: line {number + 1} is not UTF-8 text "
                            f"({err.reason})") from None


def translate_file(translator, input_path, output, *, format=None, batch_size=64,
                   method="greedy", beam_width=4, length_penalty=0.6, max_length=None,
                   truncate=False, progress=True, sentences=None):
    """Translate a text file, one sentence a line, into ``output``: JSON lines ``{"line",
    "source", "translation"}`` or (``format="text"``, or an output ending ``.txt``) one
    translation a line. A blank line translates to an empty one. Resumes an earlier run.
    ``sentences`` is :meth:`~zoo.tasks.Translator.translate`'s (a line of several sentences
    read one sentence at a time, or whole; ``None``: as the translator was trained).

    Returns a :class:`Summary` (``done`` and ``resumed`` count lines).
    """

    check_task(translator, "the translator", "translation",
               "a translator (zoo.load(...) of one)")
    input_path = check_path(input_path, "the input")
    output = check_path(output, "the output")
    check_choice(method, "method", ("greedy", "beam"))
    format = output_format(output, format)
    batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
    decoding.check_search(max_length=max_length, beam_width=beam_width if method == "beam"
                          else None, length_penalty=length_penalty)
    return answer_lines(translator, input_path, output, format=format, batch_size=batch_size,
                        progress=progress, method=method, beam_width=beam_width,
                        length_penalty=length_penalty, max_length=max_length,
                        truncate=truncate, sentences=sentences)


def answer_lines(task, input_path, output, *, format=None, batch_size=64, progress=True,
                 **options):
    """Answer every line of a UTF-8 text file with ``task`` (any task whose ``batch_input``
    is ``"lines"``) into ``output``: JSON lines ``{"line", "source",
    **task.answer_json(answer)}``, or (``format="text"``, or an output ending ``.txt``) the
    answer's ``text`` a line. ``options`` go to the task's ``batch_answerer`` (with
    ``batch_size``). Resumes an earlier run.

    Returns a :class:`Summary` (``done`` and ``resumed`` count lines).
    """
    if not isinstance(task, Task) or task.batch_input != "lines":
        raise ConfigError(f"batch inference over the lines of a text file takes a task that "
                          f"answers text (a translator: zoo.load(...) of one), got "
                          f"{getattr(task, 'noun', type(task).__name__)}")
    input_path = check_path(input_path, "the input")
    output = check_path(output, "the output")
    format = output_format(output, format)
    batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
    answerer = task.batch_answerer(batch_size=batch_size, **options)
    limit = decoding.MAX_TEXT_CHARS
    total = sum(1 for _ in _sentences(input_path, limit))
    finished, count = read_finished(output, "line" if format == "jsonl" else None)
    if format == "jsonl" and finished != list(range(1, count + 1)):
        raise DataError(f"{_shown(output)}: its lines are not lines 1 to {count} of an earlier "
                        "run of this input; give another --output")
    if count > total:
        raise DataError(f"{_shown(output)} has {count} lines but {_shown(input_path)} only "
                        f"{total}; it is the output of another input, give another --output")
    summary = Summary(output=_shown(output), resumed=count)

    def flush(handle, numbers, texts):
        results = answerer(texts)
        if format == "jsonl":
            lines = [json.dumps({"line": n, "source": s, **task.answer_json(r)},
                                ensure_ascii=False) + "\n"
                     for n, s, r in zip(numbers, texts, results)]
        else:
            lines = [" ".join(r.text.splitlines()) + "\n" for r in results]
        handle.write("".join(lines))
        handle.flush()
        summary.done += len(texts)

    with _open_append(output) as handle, _progress(total, count, "line", progress) as bar:
        numbers, texts = [], []
        for number, text in enumerate(_sentences(input_path, limit), 1):
            if number <= count:
                continue
            numbers.append(number)
            texts.append(text)
            if len(texts) == batch_size:
                flush(handle, numbers, texts)
                bar.update(len(texts))
                numbers, texts = [], []
        if texts:
            flush(handle, numbers, texts)
            bar.update(len(texts))
    return summary


__all__ = ["Summary", "expand_inputs", "answer_files", "answer_lines", "predict_files",
           "caption_files", "translate_file", "read_finished", "image_batches", "reason_of"]
