"""Warm starts: `zoo train --init-from SOURCE` from a finished run or a published weight.

The sources are the session's tiny perceptron run (tests/conftest.py), the bundled
perceptron.mnist weight (offline: its bundled copy) and a tiny character GRU trained here.
"""

import json
import shutil

import numpy as np
import pytest

import zoo
from zoo import publish, saving, training, weights
from zoo._hashing import sha256_file
from zoo.cli import main
from zoo.errors import ConfigError, DataError, UnknownNameError

from conftest import DATA_DIR, load_script

MNIST = str(DATA_DIR / "mnist_small")
TEXT = DATA_DIR / "text"
TINY_GRU = {"units": 32, "num_layers": 1, "embedding_dim": 16, "dropout": 0.0}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # a published source comes from the bundled copy


def _weights(directory):
    return [np.asarray(w) for w in zoo.load(directory).model.get_weights()]


def _warm(source, out, **kwargs):
    """One epoch warm-started from ``source`` at a learning rate too small to move anything."""
    kwargs = {"epochs": 1, "learning_rate": 1e-9, "verbose": 0, **kwargs}
    return training.train("perceptron", dataset="mnist", data_dir=MNIST, out_dir=out,
                          init_from=str(source), **kwargs)


@pytest.fixture(scope="module")
def char_source(tmp_path_factory):
    """A tiny character GRU trained one epoch on the fortunes that say "Hello"."""
    out = tmp_path_factory.mktemp("char-source") / "char_gru.hello"
    training.train("char_gru", dataset=str(TEXT / "fortunes_hello.txt"), out_dir=out,
                   epochs=1, batch_size=8, recipe={"sequence_length": 20}, options=TINY_GRU,
                   verbose=0)
    return out


def test_a_warm_start_from_a_run_begins_at_its_weights_and_records_it(tiny_perceptron_run,
                                                                       tmp_path):
    metrics = _warm(tiny_perceptron_run, tmp_path / "warm")
    source = json.loads((tiny_perceptron_run / "metrics.json").read_text())
    # the source's weights at step 0: a learning rate of 1e-9 leaves them (and the figures) as
    # they were; a run from scratch on the same seed is somewhere else entirely
    for got, want in zip(_weights(tmp_path / "warm"), _weights(tiny_perceptron_run)):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert metrics["test_accuracy"] == pytest.approx(source["test_accuracy"], abs=1e-6)
    training.train("perceptron", dataset="mnist", data_dir=MNIST, out_dir=tmp_path / "cold",
                   epochs=1, learning_rate=1e-9, verbose=0)
    assert not np.allclose(_weights(tmp_path / "cold")[0], _weights(tiny_perceptron_run)[0],
                           atol=1e-3)
    entry = {"run": tiny_perceptron_run.name,
             "sha256": sha256_file(tiny_perceptron_run / saving.WEIGHTS_FILE),
             "epochs": 1, "epochs_total": 1, "command": None, "wall_time_s": source["wall_time_s"],
             "headline": {"test_accuracy": source["test_accuracy"]}}
    config = saving.read_config(tmp_path / "warm")
    for recorded in (metrics["init_from"], config["init_from"],
                     json.loads((tmp_path / "warm" / "metrics.json").read_text())["init_from"]):
        assert {k: recorded[k] for k in entry} == entry
        assert recorded["recipe"]["epochs"] == 1
    assert config["train"]["learning_rate"] == 1e-9  # the new recipe, not the source's
    assert "init_from" not in config["metrics"]  # once in zoo.json


def test_a_published_weight_is_a_source_offline(tmp_path):
    record = weights.get_weight("perceptron.mnist")
    metrics = _warm("perceptron.mnist", tmp_path / "warm", train_size=64)
    # the bundled weights at step 0: MNIST accuracy on the 200 fixture test digits, not the
    # ~0.2 of one epoch on 64 digits
    assert metrics["test_accuracy"] > 0.8
    for got, want in zip(_weights(tmp_path / "warm"), _weights("perceptron.mnist")):
        np.testing.assert_allclose(got, want, atol=1e-6)
    entry = metrics["init_from"]
    sha = {f["name"]: f["sha256"] for f in record["files"]}[saving.WEIGHTS_FILE]
    assert entry["weight"] == "perceptron.mnist" and entry["sha256"] == sha
    assert entry["command"] == record["training"]["command"]
    assert entry["epochs"] == record["training"]["epochs_run"] == entry["epochs_total"]
    assert entry["headline"] == {"test_accuracy": record["metrics"]["test_accuracy"]}


def test_a_character_model_keeps_the_sources_vocabulary_on_other_characters(char_source,
                                                                            tmp_path):
    text = tmp_path / "other.txt"
    text.write_text("Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. "
                    "Ærø, ☃ and ñandú!\n" * 20, encoding="utf-8")
    out = tmp_path / "warm"
    training.train("char_gru", dataset=str(text), out_dir=out, epochs=1, batch_size=8,
                   learning_rate=1e-9, recipe={"sequence_length": 20}, verbose=0,
                   init_from=str(char_source))
    source, warm = zoo.load(char_source), zoo.load(out)
    assert warm.preprocessor.vocabulary.to_dict() == source.preprocessor.vocabulary.to_dict()
    assert warm.preprocessor.normalization == source.preprocessor.normalization
    assert warm.config["options"] == source.config["options"]
    # characters the fortunes never had are read as <unk> (counted in the run's data info)
    assert "☃" not in source.preprocessor.vocabulary.to_dict()["tokens"]
    assert warm.config["dataset"]["unknown_characters"]["train"] > 0
    for got, want in zip(warm.model.get_weights(), source.model.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)
    # a model trained on that text from scratch would have a vocabulary of its own
    assert "☃" in training.task_class("language_model").prepare(
        "char_gru", dict(TINY_GRU), training.DataRequest(dataset=str(text), batch_size=8,
                                                         recipe={"sequence_length": 20})
    ).assets["preprocessor"]["vocabulary"]["tokens"]


def test_the_sources_options_are_used_and_only_training_ones_may_change(char_source,
                                                                        tmp_path):
    with pytest.raises(ConfigError, match=r"--option units=64 changes the architecture of "
                       r"--init-from .*char_gru.hello, which has units=32") as caught:
        training.train("char_gru", dataset=str(TEXT / "fortunes_hello.txt"),
                       out_dir=tmp_path / "a", options={"units": 64},
                       init_from=str(char_source))
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "a").exists()  # refused before anything is read or written
    # the source's own value and a dropout are fine
    training.train("char_gru", dataset=str(TEXT / "fortunes_hello.txt"), out_dir=tmp_path / "b",
                   epochs=1, batch_size=8, recipe={"sequence_length": 20}, verbose=0,
                   options={"units": 32, "dropout": 0.3}, init_from=str(char_source))
    options = saving.read_config(tmp_path / "b")["options"]
    assert options == dict(saving.read_config(char_source)["options"], dropout=0.3)


def test_sources_that_are_not_there_or_of_another_model_are_one_line_errors(
        tiny_perceptron_run, tmp_path):
    with pytest.raises(UnknownNameError, match=r"no such run directory nor published weight\. "
                       r"Did you mean 'perceptron\.mnist'"):
        _warm("perceptron.mnst", tmp_path / "a")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"not a finished run \(zoo\.json is missing\)"):
        _warm(tmp_path / "empty", tmp_path / "a")
    with pytest.raises(ConfigError, match=r"holds a perceptron model, not shallow_mlp"):
        training.train("shallow_mlp", dataset="mnist", data_dir=MNIST, out_dir=tmp_path / "a",
                       init_from=str(tiny_perceptron_run))
    with pytest.raises(ConfigError, match=r"--option hidden_units=\[16\] changes the "
                       r"architecture .* which has hidden_units=\[\]"):
        training.train("perceptron", dataset="mnist", data_dir=MNIST, out_dir=tmp_path / "a",
                       options={"hidden_units": [16]}, init_from=str(tiny_perceptron_run))
    assert not (tmp_path / "a").exists()


def test_data_of_other_classes_is_refused(tmp_path, monkeypatch):
    """An image classifier's class names come from the data: other names than the source's
    would give its weights other meanings."""
    source = tmp_path / "source"
    shutil.copytree(weights.weight_dir("perceptron.mnist"), source)
    config = json.loads((source / saving.CONFIG_FILE).read_text())
    config["class_names"] = [f"digit {k}" for k in range(10)]
    (source / saving.CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"the data's class_names differ from those of "
                       r"--init-from"):
        _warm(source, tmp_path / "warm")


def test_a_rerun_resumes_from_the_checkpoint_not_the_source(tiny_perceptron_run, tmp_path,
                                                           capsys):
    source = tmp_path / "source"
    shutil.copytree(tiny_perceptron_run, source)
    out = tmp_path / "warm"
    first = _warm(source, out, learning_rate=1e-2)
    trained = _weights(out)
    # the source changes (trained on); the rerun with more epochs resumes from the checkpoint,
    # and keeps recording the source as it was when the run started
    training.train("perceptron", dataset="mnist", data_dir=MNIST, out_dir=source, epochs=2,
                   verbose=0)
    capsys.readouterr()
    again = _warm(source, out, learning_rate=1e-2, epochs=2)
    assert "Resuming perceptron from epoch 1 of 2" in capsys.readouterr().out
    assert again["epochs_run"] == 2 and again["init_from"] == first["init_from"]
    assert again["init_from"]["epochs"] == 1
    assert not np.allclose(_weights(out)[0], trained[0])  # trained on, from the checkpoint
    # another source (or none) for the same folder is another run
    with pytest.raises(ConfigError, match=r"differs in: init_from"):
        _warm(tiny_perceptron_run, out, learning_rate=1e-2, epochs=3)
    with pytest.raises(ConfigError, match=r"differs in: init_from"):
        training.train("perceptron", dataset="mnist", data_dir=MNIST, out_dir=out, epochs=3,
                       learning_rate=1e-2, verbose=0)


def test_cli_init_from(tiny_perceptron_run, tmp_path, capsys):
    out = tmp_path / "warm"
    assert main(["train", "perceptron", "--dataset", "mnist", "--data-dir", MNIST, "--epochs",
                 "1", "--out", str(out), "--verbose", "0", "--init-from",
                 str(tiny_perceptron_run)]) == 0
    assert f"Starting from the weights of --init-from {tiny_perceptron_run}" in \
        capsys.readouterr().out
    assert saving.read_config(out)["init_from"]["run"] == tiny_perceptron_run.name
    assert main(["train", "perceptron", "--dataset", "mnist", "--data-dir", MNIST, "--out",
                 str(tmp_path / "b"), "--init-from", "nowhere/run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: --init-from nowhere/run: no such run directory") \
        and len(err.strip().splitlines()) == 1, err


def test_publishing_a_warm_started_run_records_the_chain(tmp_path):
    out = tmp_path / "runs" / "perceptron.mnist"
    _warm("perceptron.mnist", out, train_size=64, epochs=2)
    script = load_script("train_pretrained")
    config = saving.read_config(out)
    notes = script.continued_notes(config)
    record = publish.publish(out, tmp_path / "published", name="perceptron.more",
                             data_source="fixture", data_license="CC BY-SA 3.0",
                             command="zoo train perceptron ... --init-from perceptron.mnist",
                             notes=notes, bundled=False)
    earlier = weights.get_weight("perceptron.mnist")["training"]
    assert weights.check_record(record) == []
    assert record["training"]["init_from"]["weight"] == "perceptron.mnist"
    assert record["training"]["init_from"]["command"] == earlier["command"]
    assert record["training"]["epochs_run"] == 2
    assert record["training"]["epochs_total"] == 2 + earlier["epochs_run"]
    assert f"{2 + earlier['epochs_run']} epochs in all" in notes
    assert earlier["command"] in notes
    # the README's table of weights shows the whole chain
    cell = load_script("weights_table").epochs_and_time(record["training"])
    total = earlier["wall_time_s"] + record["training"]["wall_time_s"]
    assert cell == (f"{2 + earlier['epochs_run']} ({earlier['epochs_run']} + 2) | {total:.0f} s "
                    f"({earlier['wall_time_s']:.0f} + {record['training']['wall_time_s']:.0f})")
    # the published weight says the same when it is itself continued: the chain goes on
    published = tmp_path / "published" / "perceptron.more"
    chained = training.describe_source("perceptron.more", published,
                                       saving.read_config(published), record)
    assert chained["epochs_total"] == 2 + earlier["epochs_run"]
    assert chained["init_from"]["weight"] == "perceptron.mnist"


def test_train_pretrained_continue_command():
    script = load_script("train_pretrained")
    args = script.command("char_gru.english_broad", "D", "R", continue_epochs=3)
    assert args[args.index("--epochs") + 1] == "3" and args.count("--epochs") == 1
    assert args[args.index("--init-from") + 1] == "char_gru.english_broad"
    expected = script.command("char_gru.english_broad", "D", "R")  # the same, but the epochs
    at = expected.index("--epochs")
    del expected[at:at + 2]
    at = expected.index("--out")
    expected[at:at] = ["--epochs", "3", "--init-from", "char_gru.english_broad",
                       "--learning-rate", "0.0005"]  # a quarter of its rate, still cosine
    assert args == expected
    assert "schedule=cosine" in args
    # the subword translator goes on at a lower, annealed rate, reading sentence by sentence
    name = "seq2seq_gru_bahdanau.software_es_spm"
    args = script.command(name, "D", "R", continue_epochs=8)
    assert args[args.index("--epochs") + 1] == "8" and args.count("--epochs") == 1
    assert args[args.index("--init-from") + 1] == name
    assert args[args.index("--learning-rate") + 1] == "0.0005"
    recipe = [args[k + 1] for k, a in enumerate(args) if a == "--recipe"]
    assert recipe == ["schedule=cosine", "split_sentences=true"]
    with pytest.raises(SystemExit):
        script.main(["mnist_convnet.mnist", "--continue", "--epochs", "2", "--list"])
    with pytest.raises(SystemExit):
        script.main(["char_gru.english_broad", "--continue", "--list"])  # no --epochs


def test_a_translator_keeps_the_published_weights_tokenizers(tmp_path):
    """The bundled word translator warm-started on the 48 fixture pairs: its vocabularies (not
    ones built from those pairs), its options and weights at step 0."""
    out = tmp_path / "warm"
    training.train("seq2seq_gru_bahdanau", out_dir=out, epochs=1, learning_rate=1e-9,
                   batch_size=8, verbose=0, init_from="seq2seq_gru_bahdanau.software_es",
                   dataset=str(DATA_DIR / "translation" / "tuxpaint_pairs_small.tsv"))
    source, warm = zoo.load("seq2seq_gru_bahdanau.software_es"), zoo.load(out)
    assert warm.config["preprocessor"] == source.config["preprocessor"]
    assert warm.config["options"] == source.config["options"]
    assert len(warm.config["preprocessor"]["source_vocab"]["tokens"]) > 1000  # not 48 pairs'
    for got, want in zip(warm.model.get_weights(), source.model.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_train_pretrained_publishes_a_continued_broad_model_truthfully(tmp_path):
    """`train_pretrained.py char_gru.english_broad --continue` then `--publish`: the record's
    command is the continuing one, its notes and training.init_from name the published weight
    it continued (command, epochs, SHA-256), and the epochs add up. Trained here one epoch on a
    chapter of Emma, the bundled weight as the source (its 2.5 M parameters: about 10 s)."""
    script = load_script("train_pretrained")
    earlier = weights.get_weight("char_gru.english_broad")["training"]
    args = script.command("char_gru.english_broad", "D", tmp_path / "runs", continue_epochs=1)
    options = [args[k + 1] for k, a in enumerate(args) if a == "--option"]
    assert options == ["units=512", "dropout=0"]  # the source's: no conflict
    training.train("char_gru", dataset=str(TEXT / "emma_chapter1.txt"), epochs=1,
                   out_dir=tmp_path / "runs" / "char_gru.english_broad", verbose=0,
                   init_from="char_gru.english_broad", recipe={"schedule": "cosine"},
                   options={"units": 512, "dropout": 0})
    # measured again on its comparison texts, and read on (the state carried across windows)
    data = tmp_path / "data" / "text"
    persuasion = data / "janeausten" / f"{script.AUSTEN_TEST}.txt"
    heldout = data / "english_broad" / "heldout"
    for path, source in ((persuasion, "persuasion_chapter1.txt"),
                         (heldout / "fortunes_hello.txt", "fortunes_hello.txt"),
                         (heldout / "austen_persuasion_1.txt", "persuasion_chapter1.txt")):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TEXT / source, path)
    runs = tmp_path / "runs"
    assert script.main(["char_gru.english_broad", "--compare", "--runs", str(runs),
                        "--data-dir", str(tmp_path / "data")]) == 0
    run = zoo.load(runs / "char_gru.english_broad")
    metrics = json.loads((runs / "char_gru.english_broad" / "zoo.json").read_text())["metrics"]
    chapter = persuasion.read_text(encoding="utf-8")
    assert metrics["test_persuasion_bits_per_char"] == pytest.approx(run.bits_per_char(chapter))
    assert metrics["test_persuasion_read_on_bits_per_char"] == pytest.approx(
        run.bits_per_char(chapter, read_on=True))
    fortunes = (TEXT / "fortunes_hello.txt").read_text(encoding="utf-8")
    joined = (chapter if chapter.endswith("\n") else chapter + "\n") + fortunes  # sorted
    assert metrics["test_read_on_bits_per_char"] == pytest.approx(
        run.bits_per_char(joined, read_on=True))
    # and by source, the name before a file's first "_"
    assert metrics["test_fortunes_bits_per_char"] == pytest.approx(run.bits_per_char(fortunes))
    assert metrics["test_austen_bits_per_char"] == pytest.approx(run.bits_per_char(chapter))
    assert metrics["test_austen_characters"] == len(chapter)
    with pytest.raises(SystemExit):
        script.main(["mnist_convnet.mnist", "--compare", "--runs", str(runs)])
    script.publish("char_gru.english_broad", tmp_path / "runs", tmp_path / "out",
                   data_dir=DATA_DIR)
    record = json.loads((tmp_path / "out" / "weights.json").read_text())[0]
    assert record["metrics"]["test_read_on_bits_per_char"] == \
        metrics["test_read_on_bits_per_char"]
    # its data named as the command names it: inside the data folder, "data/..."
    assert record["dataset"]["name"] == "data/text/emma_chapter1.txt"
    training_ = record["training"]
    assert "--init-from char_gru.english_broad" in training_["command"]
    assert " --epochs 1 " in training_["command"] and "--epochs 2" not in training_["command"]
    assert training_["init_from"]["command"] == earlier["command"]
    assert training_["init_from"]["epochs"] == earlier["epochs_run"] == 2
    before = earlier.get("epochs_total", earlier["epochs_run"])  # the bundled weight's, in all
    assert training_["epochs_run"] == 1 and training_["epochs_total"] == before + 1
    assert training_["notes"].startswith("continued from the published char_gru.english_broad")
    assert f"{before + 1} epochs in all" in training_["notes"]
    assert earlier["command"] in training_["notes"]
    assert weights.check_record(record) == []
