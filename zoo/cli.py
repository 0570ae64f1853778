"""The ``zoo`` command line: a thin layer over the registry, the trainer and the task objects.

Every user mistake ends in one line ``zoo: error: ...`` and exit status 2, never a traceback.
"""

import argparse
import json
import pathlib
import sys


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


def _add_data_args(parser):
    parser.add_argument("--dataset", help="dataset name (see `zoo list --datasets`), or for the "
                        "text families a text or TSV file")
    parser.add_argument("--test-data", help="held-out text or TSV file for the test figures "
                        "(text families)")
    parser.add_argument("--data-dir", help="directory holding the dataset files "
                        "(default: $ZOO_DATA_DIR, else tensorflow-datasets)")


def build_parser():
    parser = argparse.ArgumentParser(prog="zoo", description="A Keras 3 model zoo of the classic "
                                     "deep-learning families.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
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
    p.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    p.add_argument("--verbose", type=int, choices=[0, 1, 2],
                   help="1: progress bar, 2: one line per epoch (default: 1 on a terminal)")

    p = sub.add_parser("evaluate", help="measure a trained model on a dataset split")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    _add_data_args(p)
    p.add_argument("--split", default="test", choices=["test", "validation"])

    p = sub.add_parser("predict", help="classify image files with a trained model")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", required=True, help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("generate", help="continue a text with a trained character language "
                       "model, or show its next-character distribution")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("--prefix", default="", help="the text to continue (default: empty, the "
                   "start of a paragraph)")
    p.add_argument("--length", type=int, default=200, help="characters to generate")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="below 1 more conservative, above 1 more adventurous, 0 greedy")
    p.add_argument("--top-k", type=int, help="sample only among the K most probable characters")
    p.add_argument("--seed", type=int, help="the same seed gives the same text")
    p.add_argument("--next", action="store_true", help="print the most probable next "
                   "characters with their probabilities instead of generating")

    p = sub.add_parser("translate", help="translate sentences with a trained translator")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("texts", nargs="+", metavar="TEXT", help="sentences to translate")
    p.add_argument("--beam", type=int, metavar="K", help="beam search keeping K hypotheses "
                   "(default: greedy search)")
    p.add_argument("--length-penalty", type=float, default=0.6, metavar="ALPHA",
                   help="GNMT length penalty for beam search (0: raw log-probability)")
    p.add_argument("--max-length", type=int, help="the most tokens to write")
    p.add_argument("--truncate", action="store_true", help="cut sentences longer than the "
                   "model's max_tokens instead of translating them in pieces (sentence by "
                   "sentence)")
    p.add_argument("--attention", action="store_true", help="also print the attention weights")
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("caption", help="describe images in a sentence with a trained captioner")
    p.add_argument("model_dir", metavar="MODEL", help="a published weight (`zoo weights list`), a model name with one, or a `zoo train --out` directory")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--beam", type=int, metavar="K", help="beam search keeping K hypotheses "
                   "(default: greedy search)")
    p.add_argument("--max-length", type=int, help="the most words per caption")
    p.add_argument("--attention", action="store_true", help="also show where each word looked "
                   "(Show, Attend and Tell models): the peak of its attention map")
    p.add_argument("--attention-dir", metavar="DIR", help="with --attention, also write one "
                   "PNG per image into DIR: the attention map of every word over the image")
    p.add_argument("--json", action="store_true", help="print JSON lines")

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
    p = sub.add_parser("weights", help="published weights: list, download, verify, publish")
    wsub = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True)
    w = wsub.add_parser("list", help="every published weight with its headline figure")
    w.add_argument("pattern", nargs="?", help="e.g. 'mnist_*'")
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
    w.add_argument("--command", required=True, help="the command that trained it")
    w.add_argument("--license", default="MIT", help="the weights' licence (default MIT)")
    w.add_argument("--not-bundled", action="store_true", help="a download-only weight")
    return parser


def cmd_weights(args):
    from zoo import weights

    if args.weights_command == "list":
        names = weights.list_weights(args.pattern)
        if args.json:
            print(json.dumps([weights.get_weight(n) for n in names], indent=2,
                             ensure_ascii=False))
            return 0
        if not names:
            print("no published weight matches", file=sys.stderr)
            return 1
        width = max(len(n) for n in names)
        for name in names:
            record = weights.get_weight(name)
            size = sum(f["size"] for f in record["files"]) / 1e6
            where = "bundled" if record["bundled"] else "download"
            print(f"{name:<{width}}  {weights.headline_text(record):<28} "
                  f"{record['num_params']:>10,} params  {size:6.1f} MB  {where}")
        return 0
    if args.weights_command == "download":
        for name in args.names:
            print(f"{name}: {weights.weight_dir(name)}")
        return 0
    if args.weights_command == "verify":
        failed = 0
        for name in args.names or weights.list_weights():
            report = weights.verify(name)
            failed += not report["ok"]
            state = "ok" if report["ok"] else "FAILED: " + "; ".join(report["problems"])
            print(f"{name}: {state}" + (f" ({report['where']})" if report["where"] else ""))
        return 1 if failed else 0
    record = weights.publish(args.run_dir, args.out_dir, name=args.name,
                             data_source=args.data_source, data_license=args.data_license,
                             command=args.command, license=args.license,
                             bundled=not args.not_bundled)
    print(f"published {record['name']} into {args.out_dir}: {weights.headline_text(record)}")
    return 0


def cmd_list(args):
    if args.datasets:
        from zoo.data import list_datasets

        for name in list_datasets():
            print(name)
        return 0
    import zoo

    if args.pretrained:
        from zoo import weights

        names = [n for n in weights.list_weights(args.pattern)
                 if args.family in (None, weights.get_weight(n)["family"])]
        for name in names:
            record = weights.get_weight(name)
            print(f"{record['model']:<22} {name:<34} {weights.headline_text(record)}")
        return 0 if names else 1
    names = zoo.list_models(args.pattern, family=args.family)
    if not names:
        print(f"no model matches {args.pattern!r}", file=sys.stderr)
        return 1
    infos = [zoo.describe(name) for name in names]
    width = max(len(n) for n in names)
    family_width = max(len(info["family"]) for info in infos)
    from zoo import weights

    for name, info in zip(names, infos):
        default = weights.default_weight(name)
        trained = f"  [pretrained {default}: {weights.headline_text(weights.get_weight(default))}]" \
            if default else ""
        print(f"{name:<{width}}  {info['family']:<{family_width}}  {info['description']}"
              f"{trained}")
    return 0


def cmd_describe(args):
    import zoo

    info = zoo.describe(args.name)
    try:
        info["num_params"] = zoo.build(args.name).count_params()
    except zoo.ConfigError:  # sizes that come from the data (a vocabulary) are not known yet
        info["num_params"] = None
    print(json.dumps(info, indent=2, default=str))
    return 0


def cmd_train(args):
    from zoo.training import train

    if not args.dataset:
        raise _usage("train needs --dataset (see `zoo list --datasets`)")
    train(args.name, dataset=args.dataset, out_dir=args.out, epochs=args.epochs,
          batch_size=args.batch_size, learning_rate=args.learning_rate, optimizer=args.optimizer,
          recipe=dict(args.recipe),
          options=dict(args.option), data_dir=args.data_dir, test_data=args.test_data,
          validation_fraction=args.validation_fraction, train_size=args.train_size,
          early_stopping=args.early_stopping, tensorboard=args.tensorboard, seed=args.seed,
          device=args.device, mixed_precision=args.mixed_precision, overwrite=args.overwrite,
          verbose="auto" if args.verbose is None else args.verbose)
    return 0


def cmd_evaluate(args):
    import zoo
    from zoo import saving

    task = zoo.load(args.model_dir)
    prepared = task.prepare_saved(dataset=args.dataset, data_dir=args.data_dir,
                                  test_data=args.test_data)
    name = args.dataset or task.config.get("dataset", {}).get("name")
    metrics = task.measure(prepared, splits=(args.split,))
    result = {"dataset": name, "split": args.split, **metrics}
    if pathlib.Path(args.model_dir).is_dir():  # a run directory, not a published weight
        saving.write_json(f"{args.model_dir}/eval_{pathlib.Path(name).name}_{args.split}.json",
                          result)
    print(json.dumps(result, indent=2))
    return 0


def cmd_predict(args):
    from zoo.tasks import ImageClassifier, load_as

    classifier = load_as(args.model, ImageClassifier)
    predictions = classifier.predict(args.images, top_k=args.top_k)
    for path, prediction in zip(args.images, predictions):
        if args.json:
            print(json.dumps({"image": path, "label": prediction.label,
                              "probability": prediction.probability,
                              "top": [{"label": l, "probability": p} for l, p in prediction.top]}))
        else:
            ranked = ", ".join(f"{label} ({p:.3f})" for label, p in prediction.top)
            print(f"{path}: {ranked}")
    return 0


def cmd_generate(args):
    from zoo.tasks import TextGenerator, load_as

    generator = load_as(args.model_dir, TextGenerator)
    if args.next:
        top = generator.next_char_probabilities(args.prefix, top_k=args.top_k or 5)
        for char, probability in top:
            print(f"{json.dumps(char, ensure_ascii=False)}\t{probability:.4f}")
        return 0
    text = generator.generate(args.prefix, length=args.length, temperature=args.temperature,
                              top_k=args.top_k, seed=args.seed)
    print(args.prefix + text)
    return 0


def cmd_translate(args):
    from zoo.tasks import Translator, load_as

    translator = load_as(args.model_dir, Translator)
    if args.beam is not None and args.beam < 1:
        raise _usage("--beam must be at least 1")
    method = "beam" if args.beam else "greedy"
    results = translator.translate(args.texts, method=method, beam_width=args.beam or 4,
                                   length_penalty=args.length_penalty,
                                   max_length=args.max_length, truncate=args.truncate,
                                   details=True)
    for text, result in zip(args.texts, results):
        if result.pieces > 1:
            print(f"zoo: note: {len(result.source_tokens)} tokens, more than the "
                  f"{translator.max_tokens} the model was trained on: translated in "
                  f"{result.pieces} pieces", file=sys.stderr)
        if args.json:
            line = {"source": text, "translation": result.text, "tokens": result.tokens,
                    "source_tokens": result.source_tokens, "unknown": result.unknown,
                    "score": result.score, "finished": result.finished,
                    "truncated": result.truncated, "pieces": result.pieces}
            if args.attention and result.attention is not None:
                line["attention"] = [[round(float(w), 4) for w in row]
                                     for row in result.attention]
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(result.text)
        if args.attention:
            print(_attention_table(result), file=sys.stdout)
    return 0


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
    from zoo.tasks import Captioner, load_as
    from zoo.tasks.captioner import attention_peaks, write_attention_figures

    captioner = load_as(args.model_dir, Captioner)
    if args.beam is not None and args.beam < 1:
        raise _usage("--beam must be at least 1")
    if args.attention_dir and not args.attention:
        raise _usage("--attention-dir needs --attention")
    captions = captioner.caption(args.images, method="beam" if args.beam else "greedy",
                                 beam_width=args.beam or 3, max_length=args.max_length,
                                 attention=args.attention)
    figures = write_attention_figures(captioner, args.images, captions, args.attention_dir) \
        if args.attention_dir else [None] * len(captions)
    for path, caption, figure in zip(args.images, captions, figures):
        peaks = attention_peaks(caption) if args.attention else None
        if args.json:
            line = {"image": path, "caption": caption.text, "score": caption.score}
            if peaks is not None:
                line["attention_peaks"] = [{"word": w, "row": r, "col": c, "weight": p}
                                           for w, r, c, p in peaks]
            if figure is not None:
                line["attention_figure"] = str(figure)
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(f"{path}: {caption.text}")
        for word, row, col, weight in peaks or []:
            print(f"  {word:<12} looked at row {row}, column {col} (weight {weight:.2f})")
        if figure is not None:
            print(f"  attention maps: {figure}")
    return 0


def cmd_analyze(args):
    from zoo.analysis import analyze

    for flag, value, least in (("--labeled", args.labeled, 0), ("--probe-steps",
                               args.probe_steps, 1), ("--units", args.units, 1),
                               ("--top-k", args.top_k, 1), ("--images", args.images, 1)):
        if value < least:
            raise _usage(f"{flag} must be at least {least}")
    analyze(args.model_dir, args.out, dataset=args.dataset, data_dir=args.data_dir,
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
COMMANDS["weights"] = cmd_weights


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from zoo import __version__

        print(__version__)
        return 0
    if not args.command:
        parser.print_help()
        return 2
    from zoo.errors import ZooError

    try:
        return COMMANDS[args.command](args)
    except (ZooError, _UsageError) as err:
        print(f"zoo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zoo: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
