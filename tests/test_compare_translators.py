"""scripts/compare_translators.py: the held-out sets it builds (an old weight's split drawn
again from its recorded files, a split folder, the sentences neither saw) and its figures, on a
tiny word-level translator trained here on the fixture Tux Paint pairs. Offline."""

import json
from pathlib import Path

import pytest

from zoo import tasks
from zoo.tasks import Translator
from zoo.data.translation import sentence_key
from zoo.training import train

from conftest import load_script

PAIRS = Path(__file__).resolve().parent / "data" / "translation" / "tuxpaint_pairs_small.tsv"
TINY = {"units": 16, "embedding_dim": 8, "dropout": 0.0, "min_count": 1, "max_tokens": 12}


def write(path, pairs):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{en}\t{es}\n" for en, es in pairs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    """A data directory with the fixture pairs in two files under translation/, a translator
    trained one epoch on them (split by source sentence, seeded), and its splits as the task's
    own prepare draws them."""
    root = tmp_path_factory.mktemp("compare")
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    pairs = [tuple(line.split("\t")[:2]) for line in lines if line.strip()]
    files = [write(root / "data" / "translation" / "frogs_es.tsv", pairs[:24]),
             write(root / "data" / "translation" / "stamps_es.sentences.tsv", pairs[24:])]
    run = root / "run"
    train("seq2seq_gru_bahdanau", dataset=",".join(str(f) for f in files), out_dir=run,
          epochs=1, batch_size=16, options=TINY, validation_fraction=0.2, verbose=0)
    held = tasks.load(run).prepare_saved().held_out
    return root, run, held


def split_folder(root, old_held):
    """A split folder whose test.tsv has two sentences of the old training split (one in other
    case), one of its test split and three new ones, and whose train.tsv has another of the old
    test sentences."""
    trained = old_held["train"][0]
    tested, references = old_held["test"]
    folder = root / "split"
    test = [(trained[0], "uno"), (trained[1].upper(), "dos"), (tested[0], references[0]),
            ("A purple zebra.", "Una cebra morada."), ("A frog sings.", "Una rana canta."),
            ("Two red cats.", "Dos gatos rojos.")]
    write(folder / "test.tsv", test)
    write(folder / "valid.tsv", [("A green dog.", "Un perro verde.")])
    write(folder / "train.tsv", [(tested[1], references[1]), ("A cat.", "Un gato."),
                                 ("A blue cat.", "Un gato azul.")])
    return folder, test


def test_sets_are_the_recorded_split_and_the_sentences_neither_saw(old):
    root, run, held = old
    script = load_script("compare_translators")
    config = json.loads((run / "zoo.json").read_text(encoding="utf-8"))
    splits = script.recorded_splits(config, root / "data", "old")
    # drawn again as training drew them: the same sentences in the same splits (the training
    # split also holds the pairs training left out as too long)
    dropped = config["dataset"]["dropped_too_long"]["train"]
    for split in ("train", "validation", "test"):
        assert set(held[split][0]) <= {s for s, _ in splits[split]}
        assert len(splits[split]) == len(held[split][0]) + (dropped if split == "train" else 0)
    assert len(splits["test"]) > 1

    folder, test = split_folder(root, held)
    sets = script.held_out_sets(splits, script.split_folder_splits(folder), "old", folder)
    assert sets["A"][1] == test
    # the two training sentences (one in capitals) are out, the old test one and the new in
    assert sets["A_unseen"][1] == test[2:]
    assert sets["B"][1] == splits["test"]
    # the old test sentence in train.tsv is out of B_unseen, the others are in
    seen = sentence_key(held["test"][0][1])
    assert sets["B_unseen"][1] == [p for p in splits["test"] if sentence_key(p[0]) != seen]
    assert len(sets["B_unseen"][1]) == len(splits["test"]) - 1


def test_figures_are_the_tasks_own_on_each_set(old, tmp_path, capsys):
    root, run, held = old
    script = load_script("compare_translators")
    folder, test = split_folder(root, held)
    out = tmp_path / "figures.json"
    assert script.main([str(run), "--split-folder", str(folder), "--data-dir",
                        str(root / "data"), "--sets", "A", "A_unseen", "B_unseen",
                        "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "A_unseen: " in printed and "4 pairs" in printed and "load average" in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["beam_width"] == 4 and result["length_penalty"] == 0.6
    assert {k: v["pairs"] for k, v in result["sets"].items()} == {
        "A": 6, "A_unseen": 4, "B_unseen": len(held["test"][0]) - 1}
    assert len(result["load_average"]["start"]) == 3
    figures = result["figures"][str(run)]
    translator = tasks.load(run)
    sources, references = [s for s, _ in test[2:]], [t for _, t in test[2:]]
    greedy, _ = translator.measured_translations(sources, references, method="greedy")
    beam, _ = translator.measured_translations(sources, references, method="beam",
                                               beam_width=4, length_penalty=0.6)
    got = figures["A_unseen"]
    assert got["pairs"] == 4 and got["sentences_upto20"] == 4 and got["bleu_over20"] is None
    assert got["bleu"] == pytest.approx(greedy["bleu"]) and got["chrf"] == pytest.approx(
        greedy["chrf"])
    assert got["bleu_beam"] == pytest.approx(beam["bleu"])
    assert got["chrf_beam"] == pytest.approx(beam["chrf"])
    assert 0 <= got["chrf"] <= 100 and got["stopped_repetition"] == greedy["stopped_repetition"]
    assert figures["A"]["pairs"] == 6 and "B" not in figures
    assert result["sentences"] == "as-trained"


def test_sentences_option_reaches_every_translation(old, tmp_path, capsys, monkeypatch):
    """--sentences whole / split / as-trained: every translate call of both searches reads
    texts so (sentences=False / True / None), and the output says which."""
    root, run, held = old
    script = load_script("compare_translators")
    folder, _ = split_folder(root, held)
    seen, translate = [], Translator.translate

    def spy(self, texts, **options):
        seen.append(options.get("sentences", "missing"))
        return translate(self, texts, **options)

    monkeypatch.setattr(Translator, "translate", spy)
    out = tmp_path / "figures.json"
    for choice, value in (("whole", False), ("split", True), ("as-trained", None)):
        seen.clear()
        assert script.main([str(run), "--split-folder", str(folder), "--data-dir",
                            str(root / "data"), "--sets", "A_unseen", "--sentences", choice,
                            "--json", str(out)]) == 0
        assert seen and set(seen) == {value}, (choice, seen)
        assert json.loads(out.read_text(encoding="utf-8"))["sentences"] == choice
        assert f"read {choice}" in capsys.readouterr().out


def test_missing_or_other_data_is_a_one_line_error(old, tmp_path, capsys):
    root, run, held = old
    script = load_script("compare_translators")
    folder, _ = split_folder(root, held)
    args = [str(run), "--split-folder", str(folder), "--data-dir"]

    assert script.main(args + [str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "frogs_es.tsv" in err and "stamps_es.sentences.tsv" in err
    assert "fetch_data.py frogs_es stamps_es --out" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    assert script.main([str(run), "--split-folder", str(empty), "--data-dir",
                        str(root / "data")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "train.tsv" in err and "fetch_data.py software_es" in err

    # other versions of the files: the drawn split no longer has the recorded sizes
    other = tmp_path / "other" / "translation"
    for path in (root / "data" / "translation").iterdir():
        write(other / path.name, [tuple(line.split("\t")) for line in
                                  path.read_text(encoding="utf-8").splitlines()])
    write(other / "frogs_es.tsv", [("A new sentence here.", "Una frase nueva aquí.")] + [
        tuple(line.split("\t")) for line in
        (root / "data" / "translation" / "frogs_es.tsv").read_text(
            encoding="utf-8").splitlines()])
    assert script.main(args + [str(other.parent)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not the data it was trained on" in err
