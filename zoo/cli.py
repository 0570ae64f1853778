"""The ``zoo`` command line: a thin layer over the registry, the trainer and the task objects.

Every user mistake ends in one line ``zoo: error: ...`` and exit status 2, never a traceback.
"""

import argparse
import json
import os
import pathlib
import sys
import time

import zoo
from zoo import experiments, files, limits, publish, weights
from zoo.files import open_text_file, shown
from zoo.checks import check_number
from zoo.errors import DataError, ZooError


def parse_option(text):
    """Parse ``KEY=VALUE``; VALUE is JSON when it parses (``[64,128]``, ``0.3``, ``true``),
    a comma list of such values (``32,32,3``), or else a plain string (``relu``)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)

    def one(item):
        try:
            return json.loads(item)
        except json.JSONDecodeError:
            return item

    value = [one(part) for part in raw.split(",") if part] if "," in raw and not raw.startswith(
        ("[", "{", '"')) else one(raw)
    return key.strip(), value


def _add_batch_args(parser, batch_size):
    parser.add_argument("--output", metavar="FILE", help="batch mode: write one JSON line per "
                        "input to FILE as it goes, with a progress bar and a summary; rerun "
                        "the same command to resume after a kill")
    parser.add_argument("--batch-size", type=int, default=batch_size, help="inputs per batch "
                        f"with --output (default {batch_size})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_data_args(parser):
    parser.add_argument("--dataset", help="dataset name (see `zoo list --datasets`), or for the "
                        "text families a text or TSV file")
    parser.add_argument("--test-data", help="held-out text or TSV file for the test figures "
                        "(text families)")
    parser.add_argument("--data-dir", help="directory holding the dataset files "
                        "(default: $ZOO_DATA_DIR, else tensorflow-datasets)")


MODEL_HELP = ("a published weight (`zoo weights list`), a model name with one, or a `zoo train "
              "--out` directory")


def _image_command(sub, name, summary, images_help):
    """The parser of a command that answers image files with a model (``predict``,
    ``caption``): the model is the first argument or ``--model``, both forms for both
    commands (``zoo predict --model M IMAGE...`` and ``zoo caption M IMAGE...`` were each
    command's only form; :func:`_model_and_images` tells them apart)."""
    p = sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. "
                       f"The model comes first or with --model: `zoo {name} MODEL IMAGE...` "
                       f"and `zoo {name} --model MODEL IMAGE...` are the same.",
                       usage=f"%(prog)s MODEL IMAGE [IMAGE ...] [options]\n"
                             f"       %(prog)s --model MODEL IMAGE [IMAGE ...] [options]")
    p.add_argument("inputs", nargs="+", metavar="[MODEL] IMAGE",
                   help=f"the model ({MODEL_HELP}) unless --model names it, then the "
                   f"{images_help}")
    p.add_argument("--model", help="the model, instead of the first argument")
    return p


def _model_and_images(args):
    """Set ``args.model_dir`` and ``args.images`` from ``--model`` and the arguments."""
    if args.model is not None:
        first = args.inputs[0]
        if _names_a_model(first):
            raise _usage(f"give the model once: either first or with --model, not both (got "
                         f"{first!r} first and --model {args.model!r}); e.g. `zoo "
                         f"{args.command} --model {args.model} IMAGE...`")
        args.model_dir, args.images = args.model, list(args.inputs)
        return
    if len(args.inputs) < 2:
        raise _usage(f"give a model and at least one image: `zoo {args.command} MODEL "
                     f"IMAGE...` (or `zoo {args.command} --model MODEL IMAGE...`)")
    args.model_dir, args.images = args.inputs[0], list(args.inputs[1:])


def _names_a_model(text):
    """Whether an argument read as an image names a model instead: not a file, but a published
    weight, a registered model name or a `zoo train --out` directory (its zoo.json)."""
    path = os.path.expanduser(text)
    if os.path.isfile(path):
        return False
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, "zoo.json"))  # a run's config file
    return weights.is_weight_name(text) or text in zoo.list_models()


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake in one line (not under the whole usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {shown(message)} (see `{self.prog} --help`)\n")


def build_parser():
    parser = _Parser(prog="zoo", description="A Keras 3 model zoo of the classic "
                                     "deep-learning families.",
                     epilog="Try: `zoo weights list` (the published weights), `zoo predict "
                     "mnist_convnet DIGIT.png`, `zoo caption show_attend_tell IMAGE.png`. "
                     "`zoo COMMAND --help` shows a command's arguments; `python -m zoo` is the "
                     "same command.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an "
                        "unexpected error (also: environment variable ZOO_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list models (wildcards allowed) or datasets")
    p.add_argument("pattern", nargs="?", help="e.g. '*mlp*'")
    p.add_argument("--family", help="only this family (mlp, cnn, ...)")
    p.add_argument("--datasets", action="store_true", help="list the datasets instead")
    p.add_argument("--pretrained", action="store_true", help="only models with published "
                   "weights, with each weight's headline figure")

    p = sub.add_parser("describe", help="show a model's description, options and recipe")
    p.add_argument("name")

    p = sub.add_parser("train", help="train a model; rerun the same command to resume")
    p.add_argument("name", help="model name (see `zoo list`)")
    _add_data_args(p)
    p.add_argument("--out", required=True, help="output directory of the run")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--optimizer", help="adam, adamw, sgd or rmsprop")
    p.add_argument("--option", action="append", type=parse_option, default=[],
                   metavar="KEY=VALUE", help="a build option, e.g. dropout=0.3 (repeatable)")
    p.add_argument("--recipe", action="append", type=parse_option, default=[],
                   metavar="KEY=VALUE", help="a training-recipe setting, e.g. schedule=cosine or "
                   "augment_shift=2 (repeatable; see `zoo describe NAME`)")
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument("--train-size", type=int, help="train on only the first N examples")
    p.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better validation loss")
    p.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs to OUT/logs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"])
    p.add_argument("--mixed-precision", action="store_true", help="float16 compute on a GPU")
    p.add_argument("--strategy", default="none", choices=["none", "mirrored", "multi-worker"],
                   help="data-parallel training: mirrored over the local GPUs (or --devices), "
                   "multi-worker over the cluster in TF_CONFIG; --batch-size is the global "
                   "batch, split across replicas (see the README)")
    p.add_argument("--devices", metavar="LIST", help="for --strategy mirrored: the devices, "
                   "e.g. GPU:0,GPU:1 (default: every GPU, else every CPU logical device)")
    p.add_argument("--peer-timeout", type=float, metavar="SECONDS", help="for --strategy "
                   "multi-worker: how long to wait for the other workers to start (1 to 86400; "
                   "default $ZOO_PEER_TIMEOUT, else 600)")
    p.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    p.add_argument("--init-from", metavar="SOURCE", help="warm-start from a published weight "
                   "(`zoo weights list`) or a finished --out directory: its options, "
                   "preprocessing and weights, this command's recipe (a rerun resumes from the "
                   "checkpoint instead)")
    p.add_argument("--verbose", type=int, choices=[0, 1, 2],
                   help="1: progress bar, 2: one line per epoch (default: 1 on a terminal)")

    p = sub.add_parser("evaluate", help="measure a trained model on a dataset split",
                       description="Measure a trained model on a split of its data. A "
                       "character model or a translator is measured on a file of your own "
                       "alone with --test-data FILE (its training data is not needed).")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    _add_data_args(p)
    p.add_argument("--split", default="test", choices=["test", "validation"])

    p = _image_command(sub, "predict", "classify image files with a trained model",
                       "image files; with --output also directories and glob patterns "
                       "('digits/**/*.png')")
    p.add_argument("--top-k", type=int, default=3, help="labels shown per image (1 to the "
                   "number of classes; default 3)")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    _add_batch_args(p, 64)

    p = sub.add_parser("generate", help="continue a text with a trained character language "
                       "model, or show its next-character distribution")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("--prefix", default="", help="the text to continue (default: empty, the "
                   "start of a paragraph)")
    p.add_argument("--prefix-file", metavar="FILE", help="read the text to continue from a "
                   f"UTF-8 file (at most {limits.MAX_PREFIX:,} characters)")
    p.add_argument("--length", type=int, default=200, help="characters to generate (0 to "
                   f"{limits.MAX_GENERATE_LENGTH:,}; printed as they are written; from "
                   f"{LONG_GENERATION:,} on, how long it will take is said first)")
    p.add_argument("--method", choices=["greedy", "sample", "beam"],
                   help="greedy: the most probable character each time; sample: each drawn "
                   "from the model's distribution (--temperature, --top-k, --top-p); beam: the "
                   "most probable whole continuation beam search finds (--beam-width; at most "
                   f"{limits.MAX_BEAM_GENERATE_LENGTH:,} characters). Default: sample "
                   "(greedy with --temperature 0)")
    p.add_argument("--temperature", type=float,
                   help="sampling: below 1 more conservative, above 1 more adventurous "
                   f"(above 0, at most {limits.MAX_TEMPERATURE:g}; default 1; 0 without "
                   "--method is greedy)")
    p.add_argument("--top-k", type=int, help="sampling: only among the K most probable "
                   f"characters (1 to {limits.MAX_TOP_K:,}); with --next, how many are shown")
    p.add_argument("--top-p", type=float, metavar="P", help="sampling: only among the most "
                   "probable characters whose probabilities add up to P (nucleus sampling; "
                   "above 0, at most 1)")
    p.add_argument("--beam-width", type=int, metavar="K", help="beam search: the candidates "
                   f"kept (1 to {limits.MAX_BEAM}; default 4)")
    p.add_argument("--seed", type=int, help="sampling: the same seed gives the same text (0 to "
                   "2**32-1)")
    p.add_argument("--next", action="store_true", help="print the most probable next "
                   "characters with their probabilities instead of generating")

    p = sub.add_parser("translate", help="translate sentences with a trained translator")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="sentences to translate (or "
                   f"--input FILE), at most {limits.MAX_TEXT_CHARS:,} characters each")
    p.add_argument("--input", metavar="FILE", help="a UTF-8 text file (a regular file, not a "
                   "pipe or a device), one sentence a line of at most "
                   f"{limits.MAX_TEXT_CHARS:,} characters; needs --output")
    p.add_argument("--format", choices=["jsonl", "text"], help="with --output: JSON lines or "
                   "one translation a line (default: text for a .txt output, else jsonl)")
    p.add_argument("--beam", type=int, metavar="K", help="beam search keeping K hypotheses "
                   f"(1 to {limits.MAX_BEAM}; default: greedy search)")
    p.add_argument("--length-penalty", type=float, default=0.6, metavar="ALPHA",
                   help="GNMT length penalty for beam search (0: raw log-probability; at most "
                   f"{limits.MAX_LENGTH_PENALTY:g})")
    p.add_argument("--max-length", type=int, help="the most tokens to write (1 to "
                   f"{limits.MAX_DECODE_LENGTH:,}; default: twice the model's max_tokens)")
    p.add_argument("--truncate", action="store_true", help="cut sentences longer than the "
                   "model's max_tokens instead of translating them in pieces (sentence by "
                   "sentence)")
    p.add_argument("--whole", action="store_true", help="translate each text whole, even when "
                   "the translator reads a text of several sentences one sentence at a time "
                   "(its record says \"sentences\": \"split\" in its preprocessing: "
                   "`zoo weights list NAME --json`)")
    p.add_argument("--attention", action="store_true", help="also print the attention weights")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    _add_batch_args(p, 64)

    p = _image_command(sub, "caption", "describe images in a sentence with a trained "
                       "captioner", "image files (PNG, JPEG, ...); with --output also "
                       "directories and glob patterns")
    p.add_argument("--beam", type=int, metavar="K", help="beam search keeping K hypotheses "
                   f"(1 to {limits.MAX_BEAM}; default: greedy search)")
    p.add_argument("--max-length", type=int, help="the most words per caption (1 to "
                   f"{limits.MAX_DECODE_LENGTH:,}; default: the training setting)")
    p.add_argument("--attention", action="store_true", help="also show where each word looked "
                   "(Show, Attend and Tell models): the peak of its attention map")
    p.add_argument("--attention-dir", metavar="DIR", help="with --attention, also write one "
                   "PNG per image into DIR: the attention map of every word over the image")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    _add_batch_args(p, 32)

    p = sub.add_parser("export", help="export a trained model for serving: a TensorFlow "
                       "SavedModel (OUT/NAME/VERSION/), ONNX or LiteRT")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), "
                   "a model name with one, or a `zoo train --out` directory")
    p.add_argument("--format", required=True, choices=["saved_model", "onnx", "litert"])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--name", help="the model's name in the output (default: its model name)")
    p.add_argument("--model-version", type=int, default=1, help="the SavedModel's version "
                   "directory (default 1; TensorFlow Serving serves the highest)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing export")

    p = sub.add_parser("analyze", help="what an autoencoder learned: first-layer filters, the "
                       "inputs each code unit likes best, linear probes on its codes")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("--out", required=True, help="directory for the PNG grids and analysis.json")
    p.add_argument("--dataset", help="data to analyse on (default: what the model trained on)")
    p.add_argument("--data-dir", help="directory holding the dataset files")
    p.add_argument("--labeled", type=int, default=1000, metavar="N", help="labeled training "
                   "examples for the linear probes on codes and on pixels (0: no probes)")
    p.add_argument("--probe-steps", type=int, default=600, help="optimisation steps per probe")
    p.add_argument("--units", type=int, default=16, help="code units in the top-activation grid")
    p.add_argument("--top-k", type=int, default=8, help="inputs shown per unit")
    p.add_argument("--images", type=int, default=10_000, help="held-out images searched")
    p = sub.add_parser("experiment", help="rerun one of the explainer's experiments (vanishing "
                       "gradients, dropout, depth, data scaling, incremental learning)")
    p.add_argument("name", nargs="?", help="vanishing, dropout, depth, scaling or incremental "
                   "(none: list them with their shipped full-run figures)")
    p.add_argument("--quick", action="store_true", help="the small version: at most 600 "
                   "training and 200 test digits, about a minute on 2 CPU cores")
    p.add_argument("--out", help="write NAME.json (figures, curves, settings) and NAME.png here")
    p.add_argument("--data-dir", help="a folder with MNIST's IDX files (default: $ZOO_DATA_DIR, "
                   "else tensorflow-datasets)")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("weights", help="published weights: list, download, verify, publish")
    wsub = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    w = wsub.add_parser("list", help="every published weight with its headline figure")
    w.add_argument("pattern", nargs="?", help="names are MODEL.DATA: e.g. '*.mnist', "
                   "'show_attend_tell.*'")
    w.add_argument("--json", action="store_true", help="print the whole records as JSON")
    w = wsub.add_parser("download", help="fetch weights into the cache (verified)")
    w.add_argument("names", nargs="+", metavar="NAME")
    w = wsub.add_parser("verify", help="check the files of weights against their records")
    w.add_argument("names", nargs="*", metavar="NAME", help="default: every weight")
    w = wsub.add_parser("publish", help="write a finished run's files and record into a "
                        "folder any static HTTP server can serve")
    w.add_argument("run_dir", help="a finished `zoo train --out` directory")
    w.add_argument("out_dir", help="the folder to publish into (e.g. zoo/pretrained)")
    w.add_argument("--name", required=True, help="the weight's name, e.g. mnist_convnet.mnist")
    w.add_argument("--data-source", required=True, help="where the training data came from")
    w.add_argument("--data-license", required=True, help="the training data's licence")
    w.add_argument("--command", dest="train_command", required=True,
                   help="the command that trained it")
    w.add_argument("--license", default="MIT", help="the weights' licence (default MIT)")
    w.add_argument("--not-bundled", action="store_true", help="a download-only weight")
    return parser


def cmd_weights(args):
    if args.weights_command == "list":
        names = weights.list_weights(args.pattern)
        if args.json:
            print(json.dumps([weights.get_weight(n) for n in names], indent=2,
                             ensure_ascii=False))
            return 0
        if not names:
            raise _usage(f"no published weight matches {args.pattern!r}; `zoo weights list` "
                         "shows them all")
        records = [weights.get_weight(name) for name in names]
        width = max(len(n) for n in names)
        figure = max(len(weights.headline_text(r)) for r in records)  # the columns line up
        for name, record in zip(names, records):
            size = sum(f["size"] for f in record["files"]) / 1e6
            where = "bundled" if record["bundled"] else "download"
            print(f"{name:<{width}}  {weights.headline_text(record):<{figure}} "
                  f"{record['num_params']:>10,} params  {size:6.1f} MB  {where}")
        return 0
    if args.weights_command == "download":
        for name in args.names:
            print(f"{name}: {weights.weight_dir(name)}")
        return 0
    if args.weights_command == "verify":
        failed, names = [], args.names or weights.list_weights()
        for name in names:
            report = weights.verify(name)
            if not report["ok"]:
                failed.append(name)
            state = "ok" if report["ok"] else "FAILED: " + "; ".join(report["problems"])
            print(f"{name}: {state}" + (f" ({report['where']})" if report["where"] else ""))
        if failed:
            sys.stdout.flush()
            raise _usage(f"{len(failed)} of {len(names)} weights failed verification "
                         f"({', '.join(failed)}): `zoo weights download NAME` fetches a "
                         "missing or damaged download again; a damaged bundled weight needs "
                         "the package reinstalled")
        return 0
    record = publish.publish(args.run_dir, args.out_dir, name=args.name,
                             data_source=args.data_source, data_license=args.data_license,
                             command=args.train_command, license=args.license,
                             bundled=not args.not_bundled)
    print(f"published {record['name']} into {args.out_dir}: {weights.headline_text(record)}")
    return 0


def cmd_list(args):
    if args.datasets:
        for name in zoo.list_datasets():
            print(name)
        return 0
    if args.pretrained:
        names = [n for n in weights.list_weights(args.pattern)
                 if args.family in (None, weights.get_weight(n)["family"])]
        for name in names:
            record = weights.get_weight(name)
            print(f"{record['model']:<22} {name:<34} {weights.headline_text(record)}")
        if not names:
            raise _usage("no model with published weights matches; `zoo list --pretrained` "
                         "shows them all")
        return 0
    names = zoo.list_models(args.pattern, family=args.family)
    if not names:
        raise _usage(f"no model matches {args.pattern!r}" + (f" in family {args.family!r}"
                     if args.family else "") + "; `zoo list` shows them all")
    infos = [zoo.describe(name) for name in names]
    width = max(len(n) for n in names)
    family_width = max(len(info["family"]) for info in infos)
    for name, info in zip(names, infos):
        default = weights.default_weight(name)
        trained = f"  [pretrained {default}: {weights.headline_text(weights.get_weight(default))}]" \
            if default else ""
        print(f"{name:<{width}}  {info['family']:<{family_width}}  {info['description']}"
              f"{trained}")
    return 0


def cmd_describe(args):
    # num_params: None for sizes that come from the data (a vocabulary), not known before training
    info = zoo.describe(args.name, num_params=True)
    print(json.dumps(info, indent=2, default=str))
    return 0


def cmd_train(args):

    check_number(args.epochs, "--epochs", whole=True, low=1, high=100_000, none=True)
    check_number(args.batch_size, "--batch-size", whole=True, low=1, high=65_536, none=True)
    check_number(args.learning_rate, "--learning-rate", above=0, high=1e3, none=True)
    if not args.dataset:
        raise _usage("train needs --dataset (see `zoo list --datasets`)")
    zoo.training.train(args.name, dataset=args.dataset, out_dir=args.out, epochs=args.epochs,
          batch_size=args.batch_size, learning_rate=args.learning_rate, optimizer=args.optimizer,
          recipe=dict(args.recipe),
          options=dict(args.option), data_dir=args.data_dir, test_data=args.test_data,
          validation_fraction=args.validation_fraction, train_size=args.train_size,
          early_stopping=args.early_stopping, tensorboard=args.tensorboard, seed=args.seed,
          device=args.device, mixed_precision=args.mixed_precision, overwrite=args.overwrite,
          verbose="auto" if args.verbose is None else args.verbose, strategy=args.strategy,
          devices=args.devices, peer_timeout=args.peer_timeout, init_from=args.init_from)
    return 0


def cmd_evaluate(args):
    task = zoo.load(args.model_dir)
    # a test file of one's own, for a model that keeps its vocabulary: the training data is
    # not needed (nor read)
    alone = bool(args.test_data) and args.split == "test" and not args.dataset \
        and task.test_file_alone
    try:
        prepared = task.prepare_saved(dataset=args.dataset, data_dir=args.data_dir,
                                      test_data=args.test_data, test_only=alone)
    except DataError as err:
        if not task.test_file_alone or alone:
            raise
        raise DataError(f"{err}; or measure it on a file of your own alone: --test-data FILE "
                        "(--split test)") from None
    name = args.dataset or task.config.get("dataset", {}).get("name")
    metrics = task.measure(prepared, splits=(args.split,))
    if not metrics:
        raise DataError(f"the {args.split} split has nothing to measure; give another "
                        + ("--test-data" if args.split == "test" else "--dataset"))
    result = {"dataset": name, "split": args.split, **metrics}
    if args.test_data:
        result["test_data"] = args.test_data
    if pathlib.Path(args.model_dir).is_dir():  # a run directory, not a published weight
        own = args.test_data and args.split == "test"  # one's own test file: its own record
        label = pathlib.Path(args.test_data).stem if own else pathlib.Path(name).name
        files.write_json(f"{args.model_dir}/eval_{label}_{args.split}.json", result)
    print(json.dumps(result, indent=2))
    return 0


def cmd_predict(args):

    _model_and_images(args)
    top_k = check_number(args.top_k, "--top-k", whole=True, low=1, high=65_536)
    check_number(args.batch_size, "--batch-size", whole=True, low=1, high=65_536)
    _need_output_for_folders(args.images, args.output)
    classifier = zoo.tasks.load_as(args.model_dir, zoo.tasks.ImageClassifier)
    if args.output:
        summary = zoo.batch.predict_files(classifier, args.images, args.output,
                                      batch_size=args.batch_size, top_k=top_k,
                                      progress=not args.no_progress)
        print(f"zoo: {summary.line()}; wrote {_shown(args.output)}", file=sys.stderr)
        return 0
    predictions = classifier.predict(args.images, top_k=top_k)
    for path, prediction in zip(args.images, predictions):
        if args.json:
            print(json.dumps({"image": path, "label": prediction.label,
                              "probability": prediction.probability,
                              "top": [{"label": l, "probability": p} for l, p in prediction.top],
                              "empty": prediction.empty, "note": prediction.note,
                              "familiar": prediction.familiar,
                              "familiarity": prediction.familiarity}))
        elif prediction.empty:  # no label: any would be a confident-looking guess
            print(f"{_shown(path)}: {prediction.note}")
        else:
            ranked = ", ".join(f"{label} ({p:.3f})" for label, p in prediction.top)
            note = f"  [{prediction.note}]" if prediction.note else ""
            print(f"{_shown(path)}: {ranked}{note}")
    return 0


def _need_output_for_folders(images, output):
    """A directory or a pattern without --output is a batch job: say how to run it."""
    if output:
        return
    for image in images:
        if os.path.isdir(image) or (not os.path.exists(image) and any(c in image
                                                                       for c in "*?[")):
            kind = "a directory" if os.path.isdir(image) else "a pattern"
            raise _usage(f"{_shown(image)} is {kind}; add --output FILE to go through every "
                         "image in it (JSON lines, resumable)")


def cmd_generate(args):

    if args.next:
        ignored = [flag for flag, value in (("--method", args.method),
                                            ("--temperature", args.temperature),
                                            ("--top-p", args.top_p),
                                            ("--beam-width", args.beam_width),
                                            ("--seed", args.seed)) if value is not None]
        if ignored:
            raise _usage(f"--next shows the next character's distribution, it generates "
                         f"nothing: leave out {', '.join(ignored)} (--top-k sets how many "
                         "characters are shown)")
        limits.check_sampling(top_k=args.top_k)
    else:  # every setting and their combination, before the model loads
        limits.check_generation(args.method, args.temperature, args.top_k, args.top_p,
                                args.beam_width, args.length, args.seed)
    prefix = args.prefix
    if args.prefix_file:
        if args.prefix:
            raise _usage("give --prefix or --prefix-file, not both")
        prefix = _read_prefix(args.prefix_file, limits.MAX_PREFIX)
    elif len(prefix) > limits.MAX_PREFIX:
        raise _usage(f"--prefix has {len(prefix):,} characters; at most "
                     f"{limits.MAX_PREFIX:,} (use --prefix-file for long texts)")
    generator = zoo.tasks.load_as(args.model_dir, zoo.tasks.TextGenerator)
    if args.next:
        top = generator.next_char_probabilities(prefix, top_k=args.top_k or 5)
        for char, probability in top:
            print(f"{json.dumps(char, ensure_ascii=False)}\t{probability:.4f}")
        return 0
    chunks = iter(generator.stream(prefix, length=args.length, method=args.method,
                                   temperature=args.temperature, top_k=args.top_k,
                                   top_p=args.top_p, beam_width=args.beam_width, seed=args.seed))
    first = []
    # say up front how long it will take, measured (beam search writes its text at the end)
    if args.length >= LONG_GENERATION and args.method != "beam":
        started = time.perf_counter()
        for char in chunks:
            first.append(char)
            if time.perf_counter() - started >= 1.0:
                break
        rate = len(first) / max(time.perf_counter() - started, 1e-3)
        left = (args.length - len(first)) / rate
        print(f"zoo: writing {args.length:,} characters at about {rate:,.0f} a second: "
              f"{_duration(left)} more (Ctrl-C stops; --length sets how many)",
              file=sys.stderr, flush=True)
    sys.stdout.write(prefix + "".join(first))
    sys.stdout.flush()
    for char in chunks:  # each character as it is written: a long text shows progress
        sys.stdout.write(char)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


LONG_GENERATION = 2_000  # characters from which generate says how long it will take


def _duration(seconds):
    """``about 40 s``, ``about 12 min``, ``about 3.5 h``."""
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def _read_prefix(path, limit):
    """The text of a --prefix-file: a regular UTF-8 file of at most ``limit`` characters."""
    try:
        with open_text_file(path, "a UTF-8 text file to continue") as handle:
            text = handle.read(limit + 1)
    except UnicodeDecodeError as err:
        raise DataError(f"{shown(path)}: not UTF-8 text ({err.reason} at byte "
                        f"{err.start}); save it as UTF-8") from None
    if len(text) > limit:
        raise DataError(f"{shown(path)}: more than {limit:,} characters; give the end of the "
                        "text only (the model reads the last characters most)")
    return text


def cmd_translate(args):

    limits.check_search(max_length=args.max_length, beam_width=args.beam,
                          length_penalty=args.length_penalty)
    check_number(args.batch_size, "--batch-size", whole=True, low=1, high=65_536)
    if args.input and args.texts:
        raise _usage("give sentences or --input FILE, not both")
    if args.input and not args.output:
        raise _usage("--input needs --output FILE (JSON lines, or text for a .txt name)")
    if not args.input and not args.texts:
        raise _usage("give the sentences to translate, or --input FILE --output FILE")
    if args.output and not args.input:
        raise _usage("--output goes with --input FILE (one sentence a line)")
    for number, text in enumerate(args.texts, 1):
        if len(text) > limits.MAX_TEXT_CHARS:
            raise _usage(f"sentence {number} has {len(text):,} characters; at most "
                         f"{limits.MAX_TEXT_CHARS:,} in one text: split it into sentences, "
                         "or put them in a file, one a line, and give --input FILE --output FILE")
    translator = zoo.tasks.load_as(args.model_dir, zoo.tasks.Translator)
    method = "beam" if args.beam else "greedy"
    if args.input:
        summary = zoo.batch.translate_file(
            translator, args.input, args.output, format=args.format,
            batch_size=args.batch_size, method=method, beam_width=args.beam or 4,
            length_penalty=args.length_penalty, max_length=args.max_length,
            truncate=args.truncate, progress=not args.no_progress,
            sentences=False if args.whole else None)
        print(f"zoo: {summary.line()}; wrote {_shown(args.output)}", file=sys.stderr)
        return 0
    results = translator.translate(args.texts, method=method, beam_width=args.beam or 4,
                                   length_penalty=args.length_penalty,
                                   max_length=args.max_length, truncate=args.truncate,
                                   details=True, sentences=False if args.whole else None)
    for number, (text, result) in enumerate(zip(args.texts, results), 1):
        if result.too_long and not result.truncated:
            what = "the text has" if result.sentences == 1 else \
                f"{result.too_long} of its sentences ha{'s' if result.too_long == 1 else 've'}"
            print(f"zoo: note: text {number}: {what} more than the {translator.max_tokens} "
                  f"tokens the model was trained on: translated in {result.pieces} pieces",
                  file=sys.stderr)
        if not args.json and result.stop_reason in STOP_NOTES:
            print(f"zoo: note: sentence {number}: {STOP_NOTES[result.stop_reason]}",
                  file=sys.stderr)
        if args.json:
            line = {"source": text, **translator.answer_json(result), "tokens": result.tokens,
                    "source_tokens": result.source_tokens, "unknown": result.unknown,
                    "score": result.score}
            if args.attention and result.attention is not None:
                line["attention"] = [[round(float(w), 4) for w in row]
                                     for row in result.attention]
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(result.text)
        if args.attention:
            print(_attention_table(result), file=sys.stdout)
    return 0


# what a translation that did not reach its end token is, said beside it in text output (the
# JSON lines carry stop_reason)
STOP_NOTES = {
    "repetition": "the model kept repeating a phrase: the copies beyond those the source has "
                  "were dropped",
    "max_length": "the translation stopped at the length cap, maybe cut short (--max-length "
                  "raises it)",
}


def _attention_table(result):
    """The attention weights as a text table: a row per written token, a column per source one."""
    if result.attention is None:
        return "  (this model has no attention)"
    if not result.tokens:
        return "  (empty translation)"
    width = max(len(t) for t in result.tokens)
    column = min(12, max([6] + [len(t) for t in result.source_tokens]))
    header = " " * (width + 2) + " ".join(f"{t[:column]:>{column}}"
                                          for t in result.source_tokens)
    rows = [f"  {t:<{width}} " + " ".join(f"{w:{column}.2f}" for w in weights)
            for t, weights in zip(result.tokens, result.attention)]
    return "\n".join([header] + rows)


def cmd_caption(args):

    _model_and_images(args)
    limits.check_search(max_length=args.max_length, beam_width=args.beam)
    if args.attention_dir and not args.attention:
        raise _usage("--attention-dir needs --attention; add it, or leave --attention-dir "
                     "out")
    check_number(args.batch_size, "--batch-size", whole=True, low=1, high=65_536)
    if args.output and args.attention:
        raise _usage("--attention is not written to --output; leave one out (attention "
                     "maps: caption a few images without --output)")
    _need_output_for_folders(args.images, args.output)
    captioner = zoo.tasks.load_as(args.model_dir, zoo.tasks.Captioner)
    if args.output:
        summary = zoo.batch.caption_files(
            captioner, args.images, args.output, batch_size=args.batch_size,
            method="beam" if args.beam else "greedy", beam_width=args.beam or 3,
            max_length=args.max_length, progress=not args.no_progress)
        print(f"zoo: {summary.line()}; wrote {_shown(args.output)}", file=sys.stderr)
        return 0
    captions = captioner.caption(args.images, method="beam" if args.beam else "greedy",
                                 beam_width=args.beam or 3, max_length=args.max_length,
                                 attention=args.attention)
    figures = zoo.tasks.captioner.write_attention_figures(captioner, args.images, captions, args.attention_dir) \
        if args.attention_dir else [None] * len(captions)
    for path, caption, figure in zip(args.images, captions, figures):
        peaks = zoo.tasks.captioner.attention_peaks(caption) if args.attention else None
        if args.json:
            line = {"image": path, "caption": caption.text, "score": caption.score,
                    "note": caption.note, "familiar": caption.familiar,
                    "familiarity": caption.familiarity}
            if peaks is not None:
                line["attention_peaks"] = [{"word": w, "row": r, "col": c, "weight": p}
                                           for w, r, c, p in peaks]
            if figure is not None:
                line["attention_figure"] = str(figure)
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(f"{_shown(path)}: {caption.text}")
        if caption.note:
            print(f"  [{caption.note}]")
        for word, row, col, weight in peaks or []:
            print(f"  {word:<12} looked at row {row}, column {col} (weight {weight:.2f})")
        if figure is not None:
            print(f"  attention maps: {_shown(figure)}")
    return 0


def cmd_experiment(args):
    if not args.name:
        for name in experiments.list_experiments():
            result = experiments.shipped(name)  # plain data: no Keras to import for a listing
            title = result["title"] if result else experiments.describe(name)["title"]
            print(f"{name}: {title}")
            if result:
                for check, seen in result["holds"].items():
                    print(f"    {'yes' if seen else 'NO '}  {check}")
        return 0
    experiments.module(args.name)  # an unknown name fails before anything is loaded
    check_number(args.seed, "--seed", whole=True, low=0, high=2**31 - 1)
    if args.out:  # before minutes of training, not after
            files.check_writable_dir(args.out)
    result = experiments.run(args.name, quick=args.quick, data_dir=args.data_dir, seed=args.seed)
    for key, value in result["figures"].items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    for check, seen in result["holds"].items():
        print(f"{'yes' if seen else 'NO '}  {check}")
    print(f"({result['wall_seconds']} s; {result['data']['train']} training and "
          f"{result['data']['test']} test digits)")
    if args.out:
        for path in experiments.save(result, args.out):
            print(f"wrote {_shown(path)}")
    return 0


def cmd_export(args):

    result = zoo.export.export(args.model_dir, args.format, args.out, name=args.name,
                    version=args.model_version, overwrite=args.overwrite)
    check = result["check"]
    print(f"wrote {_shown(result['path'])} ({result['bytes'] / 1e6:.2f} MB; signatures "
          f"{', '.join(result['signatures'])}; largest difference from the Keras model "
          f"{check['max_abs_diff']:.2g} on {check['inputs']} sample inputs)")
    return 0


def cmd_analyze(args):

    for flag, value, least, most in (
            ("--labeled", args.labeled, 0, 1_000_000), ("--probe-steps", args.probe_steps, 1,
                                                        100_000),
            ("--units", args.units, 1, 4096), ("--top-k", args.top_k, 1, 1000),
            ("--images", args.images, 1, 10_000_000)):
        check_number(value, flag, whole=True, low=least, high=most)
    zoo.analysis.analyze(args.model_dir, args.out, dataset=args.dataset, data_dir=args.data_dir,
            labeled=args.labeled, probe_steps=args.probe_steps, top_k=args.top_k,
            num_units=args.units, max_images=args.images)
    return 0


class _UsageError(Exception):
    pass


def _usage(message):
    return _UsageError(message)


COMMANDS = {"list": cmd_list, "describe": cmd_describe, "train": cmd_train,
            "evaluate": cmd_evaluate, "predict": cmd_predict, "generate": cmd_generate,
            "translate": cmd_translate, "caption": cmd_caption}
COMMANDS["analyze"] = cmd_analyze
COMMANDS["export"] = cmd_export
COMMANDS["weights"] = cmd_weights
COMMANDS["experiment"] = cmd_experiment


def main(argv=None):
    if argv is None:  # the `zoo` command itself, not a call from Python
        zoo.filter_native_stderr()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(zoo.__version__)
        return 0
    if not args.command:
        parser.print_help()
        return 2
    debug = args.debug or os.environ.get("ZOO_DEBUG", "") not in ("", "0")
    try:
        return COMMANDS[args.command](args)
    except (ZooError, _UsageError) as err:
        return _error(err)
    except KeyboardInterrupt:
        again = "rerun the same command to resume" if args.command == "train" or \
            getattr(args, "output", None) else "nothing was saved"
        print(f"zoo: interrupted; {again}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`zoo weights list | head -3`)
        _drop_stdout()
        return 141  # what a shell reports for a command ended by SIGPIPE, without a message
    except Exception as err:  # noqa: BLE001  (the one error boundary of the CLI)
        message = _foreseen(err, args)
        if message is None or debug:
            if debug:
                raise
            print(f"zoo: error: unexpected {type(err).__name__}: {_first_line(err)}\n"
                  "zoo: this is a bug, please report it (rerun with --debug, or ZOO_DEBUG=1, "
                  "for the traceback)", file=sys.stderr)
            return 1
        return _error(message)


def _shown(path):
    return shown(path)


def _drop_stdout():
    """Point standard output at the null device, so the interpreter's last flush into a closed
    pipe does not print an error either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's captured output)
        pass


def _first_line(err, limit=300):
    text = str(err).strip()
    return (text.splitlines()[0][:limit] if text else type(err).__name__)


def _error(message):
    """The one line of a user mistake; control characters escaped, so a file name cannot
    forge lines or send escape codes to the terminal."""
    text = " ".join(str(message).split("\n"))
    print(f"zoo: error: {shown(text)}", file=sys.stderr)
    return 2


# what to lower when memory runs out, per command (a task's own command: its memory_hint)
_MEMORY_HINTS = {
    "train": "lower --batch-size, or the model's sizes (--option units=..., filters=...)",
    "evaluate": "lower the batch size (--recipe batch_size=... when training) or evaluate "
                "on a smaller --dataset",
    "analyze": "lower --images or --labeled",
}


def _memory_hint(command):
    """What to lower when ``command`` runs out of memory: the hint of the task answering it."""
    if command in _MEMORY_HINTS:
        return _MEMORY_HINTS[command]
    hints = {cls.command: cls.memory_hint for cls in zoo.tasks.task_classes().values()
             if cls.command}
    return hints.get(command, "ask for less at a time")


def _foreseen(err, args):
    """The one-line message of an error a user can cause and fix, or None for a bug."""
    name = type(err).__name__
    if name == "ResourceExhaustedError" or isinstance(err, MemoryError):
        hint = _memory_hint(args.command)
        return f"out of memory: {hint}"
    if isinstance(err, OSError):
        target = err.filename if err.filename is not None else None
        reason = err.strerror or _first_line(err)
        where = f"{shown(target)}: " if target is not None else ""
        out = getattr(args, "out", None) or getattr(args, "attention_dir", None)
        hint = f" (check the output path {shown(out)})" if out else ""
        return f"{where}{reason}{hint}"
    if isinstance(err, RecursionError):
        return "the input is nested too deeply"
    return None


if __name__ == "__main__":
    sys.exit(main())
