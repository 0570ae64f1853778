"""The translation family: tokenizer, pair files, splits, fetch parsers, models, the Translator
task (trained on real pairs from Tux Paint, tests/data/translation/) and the CLI."""

import json
import struct
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import zoo
from zoo import registry, runtime
from zoo.cli import main
from zoo.data.sources import anki, libreoffice, tuxpaint
from zoo.data.translation import read_pair_file, read_pairs, sentence_key, split_pairs
from zoo.models.translation import decoder_step_function, encoder_function
from zoo.tasks.translator import Translator
from zoo.text.tokenize import detokenize, tokenize
from zoo.text.vocab import Vocabulary
from zoo.training import DataRequest, make_optimizer

PAIRS = Path(__file__).resolve().parent / "data" / "translation" / "tuxpaint_pairs_small.tsv"


# -- tokenization -----------------------------------------------------------------------------


def test_tokenize_keeps_accents_and_spanish_punctuation():
    assert tokenize("¿Dónde está el pingüino?") == ["¿", "Dónde", "está", "el", "pingüino", "?"]
    assert tokenize("¡Ganan los pingüinos!") == ["¡", "Ganan", "los", "pingüinos", "!"]
    assert tokenize("Año 3.5, don't drag-and-drop") == ["Año", "3.5", ",", "don't",
                                                        "drag-and-drop"]
    assert tokenize("Él ÑANDÚ", lowercase=True) == ["él", "ñandú"]
    # a combining accent reads as the precomposed letter
    assert tokenize("pingu\u0308ino") == ["pingüino"]
    assert tokenize("   ") == []


def test_detokenize_rebuilds_readable_text():
    assert detokenize(["¡", "Un", "pez", "-", "león", "muy", "venenoso", "!"]) == \
        "¡Un pez - león muy venenoso!"
    assert detokenize(["¿", "Oyes", "lo", "mismo", "que", "yo", "?"]) == "¿Oyes lo mismo que yo?"
    assert detokenize(["Dice", '"', "hola", '"', "(", "sí", ")", ",", "y", "ya", "."]) == \
        'Dice "hola" (sí), y ya.'
    assert detokenize(["a", "/", "b", ":", "c", ";"]) == "a/b: c;"


def test_round_trip_on_real_sentences():
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    sentences = [side for line in lines for side in line.split("\t")[:2]]
    same = sum(detokenize(tokenize(s)) == s for s in sentences)
    assert same == len(sentences)


# -- pair files and splits --------------------------------------------------------------------


def test_anki_format_with_attribution_columns(tmp_path):
    path = tmp_path / "spa.txt"
    path.write_text(
        "\ufeffGo.\tVe.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #4986655\n"
        "Go.\tVete.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #4986656\n"
        "\n"
        "Hi.\tHola.\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #431975\n",
        encoding="utf-8")
    got = read_pair_file(path)
    assert got.pairs == [("Go.", "Ve."), ("Go.", "Vete."), ("Hi.", "Hola.")]
    assert got.skipped == 0


def test_malformed_lines_are_skipped_and_counted_or_refused(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("A frog.\tUna rana.\nno tab here\nA cat.\t\nA dog.\tUn perro.\n",
                    encoding="utf-8")
    got = read_pair_file(path)
    assert got.pairs == [("A frog.", "Una rana."), ("A dog.", "Un perro.")]
    assert got.skipped == 2
    prose = tmp_path / "prose.txt"
    prose.write_text("Just some text.\nNo tabs at all.\nA\tb\n", encoding="utf-8")
    with pytest.raises(zoo.DataError, match="2 of 3 lines"):
        read_pair_file(prose)
    with pytest.raises(zoo.DataError, match="no such file"):
        read_pairs(tmp_path / "missing.tsv")
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("Año\tYear\n".encode("latin-1"))
    with pytest.raises(zoo.DataError, match="not UTF-8"):
        read_pair_file(latin1)


def test_several_files_by_list_comma_or_directory(tmp_path):
    (tmp_path / "a.tsv").write_text("One.\tUno.\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("Two.\tDos.\n", encoding="utf-8")
    expected = [("One.", "Uno."), ("Two.", "Dos.")]
    assert read_pairs([tmp_path / "a.tsv", tmp_path / "b.tsv"]).pairs == expected
    assert read_pairs(f"{tmp_path / 'a.tsv'},{tmp_path / 'b.tsv'}").pairs == expected
    assert read_pairs(tmp_path).pairs == expected


def test_split_by_source_sentence_never_leaks():
    pairs = [(f"Sentence {i % 40}.", f"Frase {i}.") for i in range(200)]  # 5 translations each
    pairs += [(" sentence 3. ", "Otra.")]  # the same sentence, spelled differently
    splits, dropped = split_pairs(pairs, validation_fraction=0.1, test_fraction=0.2, seed=0)
    assert dropped == 0
    sides = {name: {sentence_key(s) for s, _ in rows} for name, rows in splits.items()}
    assert not sides["train"] & sides["validation"]
    assert not sides["train"] & sides["test"]
    assert not sides["validation"] & sides["test"]
    assert len(sides["test"]) == 8 and len(sides["validation"]) == 4
    assert sum(len(rows) for rows in splits.values()) == len(pairs)
    again, _ = split_pairs(pairs, validation_fraction=0.1, test_fraction=0.2, seed=0)
    assert again == splits
    other, _ = split_pairs(pairs, validation_fraction=0.1, test_fraction=0.2, seed=1)
    assert other != splits
    # a separate test file: its sentences leave training
    held = [("Sentence 1.", "Frase uno.")]
    splits, dropped = split_pairs(pairs, validation_fraction=0.1, seed=0, test_pairs=held)
    assert dropped == 5 and splits["test"] == held
    assert "sentence 1." not in {sentence_key(s) for s, _ in splits["train"]}


# -- fetch parsers (no network) ---------------------------------------------------------------


def write_mo(path, entries):
    """A little-endian GNU .mo file of (msgid, msgstr) strings."""
    entries = sorted(entries)
    count = len(entries)
    originals, translations = 28, 28 + 8 * count
    offset = 28 + 16 * count
    ids, strs, blob = [], [], b""
    for table, index in ((ids, 0), (strs, 1)):
        for entry in entries:
            data = entry[index].encode("utf-8")
            table.append((len(data), offset + len(blob)))
            blob += data + b"\x00"
    header = struct.pack("<7I", 0x950412DE, 0, count, originals, translations, 0, 0)
    tables = b"".join(struct.pack("<2I", *e) for e in ids + strs)
    path.write_bytes(header + tables + blob)


def test_read_mo_handles_context_plural_and_untranslated(tmp_path):
    path = tmp_path / "es.mo"
    write_mo(path, [("", "Content-Type: text/plain; charset=UTF-8\n"),
                    ("Open the file.", "Abra el archivo."),
                    ("menu\x04Open", "Abrir"),
                    ("%1 page\x00%1 pages", "%1 página\x00%1 páginas"),
                    ("Untranslated", "")])
    pairs = libreoffice.read_mo(path.read_bytes(), what="es.mo")
    assert sorted(pairs) == sorted([("Open the file.", "Abra el archivo."), ("Open", "Abrir"),
                                    ("%1 page", "%1 página"), ("%1 pages", "%1 páginas")])
    with pytest.raises(zoo.DataError, match="not a .mo file"):
        libreoffice.read_mo(b"\x00" * 40)
    assert libreoffice.sentence_like("Open the file now.", "Abra el archivo.")
    assert not libreoffice.sentence_like("%1 pages of text", "%1 páginas")
    assert not libreoffice.sentence_like("open the file", "abra")


def test_catalog_pairs_and_the_sentence_rule_where_the_pre_fetched_copy_differs(tmp_path):
    """The fetcher's rule where the pre-fetched copy differs: placeholders (``#1``) and
    accelerator marks (``~``) are refused, typographic quotes, ``▸`` menu paths and ``/`` are
    kept; the same English in two contexts with two translations gives two pairs, a pair seen in
    two catalogs one, whitespace folded."""
    write_mo(tmp_path / "a.mo", [
        ("c1\x04Range moved from #1 to #2", "Intervalo desplazado de #1 a #2"),
        ("c2\x04Create a ~fax from this template", "Crear ~fax"),
        ("c3\x04Choose “Hierarchical View” in Format ▸ Styles.",
         "Elija «Jerárquico» en Formato ▸ Estilos."),
        ("c4\x04Use date/time  literals\nhere.", "Use literales de fecha/hora."),
        ("c5\x04Dear Sir or Madam", "Apreciado/a señor/señora"),
        ("c6\x04Dear Sir or Madam", "Estimado señor o señora")])
    write_mo(tmp_path / "b.mo", [("other\x04Dear Sir or Madam", "Estimado señor o señora")])
    pairs = libreoffice.catalog_pairs({name: (tmp_path / name).read_bytes()
                                       for name in ("a.mo", "b.mo")})
    assert len(pairs) == 6
    assert ("Use date/time literals here.", "Use literales de fecha/hora.") in pairs
    assert [p[0] for p in pairs if libreoffice.sentence_like(*p)] == [
        "Choose “Hierarchical View” in Format ▸ Styles.", "Use date/time literals here.",
        "Dear Sir or Madam", "Dear Sir or Madam"]


def test_tuxpaint_descriptions_and_anki_zip(tmp_path):
    files = {"stamps/frog.txt": "A frog.\nde.utf8=Ein Frosch.\nes.utf8=Una rana.\n".encode(),
             "stamps/frog2.txt": "A frog.\nes.utf8=Una rana.\n".encode(),
             "stamps/no_es.txt": b"A cat.\nfr.utf8=Un chat.\n",
             "stamps/frog.png": b"\x89PNG"}
    assert tuxpaint.tuxpaint_pairs(files) == [("A frog.", "Una rana.")]

    archive = tmp_path / "spa-eng.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("_about.txt", "about")
        zipped.writestr("spa.txt", "Go.\tVe.\tCC-BY 2.0 (France) Attribution: tatoeba.org\n"
                                   "Hi.\tHola.\tCC-BY 2.0 (France) Attribution: tatoeba.org\n")
    written = anki.extract_anki_pairs(archive, tmp_path / "out")
    assert read_pairs(written).pairs == [("Go.", "Ve."), ("Hi.", "Hola.")]
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(zoo.DataError, match="not a readable zip"):
        anki.extract_anki_pairs(tmp_path / "bad.zip", tmp_path / "out")


# -- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", zoo.list_models(family="translation"))
def test_the_inference_step_reproduces_teacher_forcing(name):
    """Decoding one token at a time gives the teacher-forced logits, with attention over real
    source tokens only (building, training and saving every model: test_models.py)."""
    runtime.configure(seed=0)
    model = registry.build(name, source_vocab_size=30, target_vocab_size=40, units=16,
                           embedding_dim=8)
    source = np.array([[5, 6, 7, 0], [8, 9, 0, 0]], "int32")
    target_in = np.array([[2, 5, 6], [2, 7, 0]], "int32")
    logits = keras.ops.convert_to_numpy(model([source, target_in], training=False))
    assert logits.shape == (2, 3, 40)

    encode, step = encoder_function(model), decoder_step_function(model)
    state, stepped = encode(source), []
    for t in range(3):
        log_probs, state, attention = step(keras.ops.convert_to_tensor(target_in[:, t]), state)
        stepped.append(keras.ops.convert_to_numpy(log_probs))
        if zoo.describe(name)["options"]["attention"]:
            weights = keras.ops.convert_to_numpy(attention)
            np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
            assert np.all(weights[1, 2:] < 1e-6)  # padding gets no attention
        else:
            assert attention is None
    expected = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(np.stack(stepped, axis=1), expected, atol=1e-4)


def test_bad_options_are_config_errors():
    with pytest.raises(zoo.ConfigError, match="attention"):
        registry.build("seq2seq_lstm", attention="dot")
    with pytest.raises(zoo.ConfigError, match="rnn"):
        registry.build("seq2seq_lstm", rnn="simple")


# -- the task's data preparation --------------------------------------------------------------


def test_prepare_honours_test_file_length_limit_and_source_reversal(tmp_path):
    held = tmp_path / "test.tsv"
    held.write_text("A frog.\tUna rana.\nA crow.\tUn cuervo.\n", encoding="utf-8")
    options = registry.resolve_options("seq2seq_lstm", max_tokens=4, min_count=1)
    assert options["reverse_source"]
    request = DataRequest(dataset=str(PAIRS), test_data=str(held), batch_size=8,
                          validation_fraction=0.1, seed=0)
    prepared = Translator.prepare("seq2seq_lstm", options, request)
    info = prepared.data_info
    assert info["dropped_sentence_in_test_file"] == 2  # "A frog." and "A crow." left training
    assert prepared.held_out["test"] == (["A frog.", "A crow."], ["Una rana.", "Un cuervo."])
    train_sources = prepared.held_out["train"][0]
    assert "A frog." not in train_sources and "A crow." not in train_sources
    assert info["dropped_too_long"]["train"] > 0  # e.g. "A great blue heron." has 5 tokens
    assert all(len(tokenize(s)) <= 4 for s in train_sources)
    saved = prepared.assets["preprocessor"]
    vocab = Vocabulary.from_dict(saved["source_vocab"])
    assert prepared.options["source_vocab_size"] == len(vocab)
    assert saved["kind"] == "word_tokens" and saved["reverse_source"] is True
    (source, target_in), target_out, weights = next(iter(prepared.train))
    source, target_in = source.numpy(), target_in.numpy()
    target_out, weights = target_out.numpy(), weights.numpy()
    target_vocab = Vocabulary.from_dict(saved["target_vocab"])
    for row in range(len(source)):
        ids = [int(i) for i in source[row] if i]
        sentence = [vocab.tokens[i] for i in ids][::-1]  # read back in the sentence's order
        assert sentence[-1] == "."  # the full stop was fed first
        length = int(weights[row].sum())
        assert target_in[row, 0] == target_vocab.bos_id
        assert target_out[row, length - 1] == target_vocab.eos_id
        np.testing.assert_array_equal(target_in[row, 1:length], target_out[row, :length - 1])
    # train_size keeps the first N training pairs
    small = Translator.prepare("seq2seq_lstm", options, DataRequest(
        dataset=str(PAIRS), batch_size=8, validation_fraction=0.1, seed=0, train_size=10))
    assert len(small.held_out["train"][0]) <= 10


# -- a translator trained on real pairs --------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """seq2seq_gru_bahdanau (small) overfitted on 44 real Tux Paint pairs."""
    runtime.configure(seed=0)
    name = "seq2seq_gru_bahdanau"
    options = registry.resolve_options(name, units=64, embedding_dim=32, dropout=0.0,
                                       min_count=1, max_tokens=8)
    request = DataRequest(dataset=str(PAIRS), batch_size=16, validation_fraction=0.05, seed=0)
    prepared = Translator.prepare(name, options, request)
    model = registry.build(name, **prepared.options)
    Translator.compile_model(model, make_optimizer("adam", 1e-2, clipnorm=1.0))
    model.fit(prepared.train, epochs=40, verbose=0, shuffle=False)
    translator = Translator(model, {"model": name, "options": prepared.options,
                                    **prepared.assets})
    directory = tmp_path_factory.mktemp("translator")
    translator.save(directory)
    return translator, prepared, directory


def test_overfitted_pairs_decode_exactly_greedy_and_beam(trained):
    translator, prepared, _ = trained
    sources, references = prepared.held_out["train"]
    assert len(sources) == 44
    assert translator.translate(sources) == references
    assert translator.translate(sources, method="beam", beam_width=3) == references
    # no validation or test sentence was trained on
    train_keys = {sentence_key(s) for s in sources}
    for split in ("validation", "test"):
        assert not train_keys & {sentence_key(s) for s in prepared.held_out[split][0]}


def test_zoo_load_restores_vocabularies_and_translations(trained):
    translator, prepared, directory = trained
    sources = prepared.held_out["train"][0][:10] + ["A frog and a zebra."]
    loaded = zoo.load(directory)
    assert isinstance(loaded, Translator)
    assert loaded.source_vocab.tokens == translator.source_vocab.tokens
    assert loaded.target_vocab.tokens == translator.target_vocab.tokens
    assert loaded.translate(sources) == translator.translate(sources)
    assert loaded.translate(sources, method="beam") == translator.translate(sources,
                                                                            method="beam")
    config = json.loads((directory / "zoo.json").read_text(encoding="utf-8"))
    assert config["format"] == "zoo/2" and config["preprocessor"]["tokenizer"] == "words/1"
    assert "<s>" in config["preprocessor"]["target_vocab"]["specials"]


def test_details_give_attention_over_the_source(trained):
    translator, _, _ = trained
    result, = translator.translate(["A frog."], details=True)
    assert result.text == "Una rana."
    assert result.tokens == ["Una", "rana", "."]
    assert result.source_tokens == ["A", "frog", "."]
    assert result.attention.shape == (3, 3)
    assert np.all(result.attention >= 0) and np.all(result.attention.sum(axis=1) <= 1 + 1e-5)
    assert result.finished and not result.unknown


def test_a_text_of_several_sentences_is_translated_one_sentence_at_a_time(trained):
    """A new run's preprocessor says sentences="split": each sentence is translated alone
    (as the pairs it learnt from are single sentences) and the translations joined; a call
    can choose, and a config without the setting (earlier weights) reads texts whole."""
    translator, _, _ = trained
    assert translator.preprocessor.sentences == "split"
    assert translator.preprocessor.to_dict()["sentences"] == "split"
    one = translator.translate(["A frog."])[0]
    split, = translator.translate(["A frog. A frog."], details=True)
    assert split.pieces == split.sentences == 2 and split.text == f"{one} {one}"
    assert split.attention.shape == (len(split.tokens), 6)
    assert not split.attention[:len(split.tokens) // 2, 3:].any()  # each looked at its own
    whole, = translator.translate(["A frog. A frog."], details=True, sentences=False)
    assert whole.pieces == whole.sentences == 1 and len(whole.source_tokens) == 6
    assert translator.translate(["A frog. A frog."], sentences=True) == [split.text]
    with pytest.raises(zoo.ConfigError, match="sentences takes True, False or None"):
        translator.translate(["A frog."], sentences="yes")
    # the setting is the preprocessor's: "whole" is what a config without it means
    config = translator.preprocessor.to_dict()
    whole_pre = type(translator.preprocessor).from_config(
        {k: v for k, v in config.items() if k != "sentences"})
    assert whole_pre.sentences == "whole" and "sentences" not in whole_pre.to_dict()
    assert whole_pre.with_sentences("split") == translator.preprocessor
    assert whole_pre.segments("A frog. A frog.") == ["A frog. A frog."]
    assert translator.preprocessor.segments("A frog. A frog.") == ["A frog.", "A frog."]
    with pytest.raises(zoo.DataError, match=r"sentences.*one of \['whole', 'split'\]"):
        type(translator.preprocessor).from_config({**config, "sentences": "pieces"})


def test_sentences_of_cuts_at_sentence_ends_only():
    from zoo.preprocessing.tokens import sentences_of

    assert sentences_of("Save the file. Close it, e.g. with Ctrl+W! Done?  Yes.") == [
        "Save the file.", "Close it, e.g. with Ctrl+W!", "Done?", "Yes."]
    assert sentences_of('He said "Go." Then left. Mr. Smith stayed. Version 2.0 is out.') == [
        'He said "Go."', "Then left.", "Mr. Smith stayed.", "Version 2.0 is out."]
    # no break before a lower-case word, inside a number or a file name, after an initial
    assert sentences_of("Open file.txt now. see the 3.5 manual, J. Smith wrote it.") == [
        "Open file.txt now. see the 3.5 manual, J. Smith wrote it."]
    assert sentences_of("¿Qué es? ¡Nada! (Fin.) Otro.") == ["¿Qué es?", "¡Nada!", "(Fin.)",
                                                           "Otro."]
    assert sentences_of("Step 1. Click OK. The answer is no. See No. 5 and the U.S. Army. Go.") \
        == ["Step 1.", "Click OK.", "The answer is no.", "See No. 5 and the U.S. Army.", "Go."]
    assert sentences_of("  one sentence  ") == ["one sentence"]
    assert sentences_of("   ") == [""]


def test_empty_long_and_unknown_input(trained):
    translator, _, _ = trained
    with pytest.raises(zoo.DataError, match="no text"):
        translator.translate([])
    assert translator.translate(["", "   ", "A frog."]) == ["", "", "Una rana."]
    long = "A frog " * 6  # 12 tokens; this model was trained on at most 8
    with pytest.raises(zoo.DataError, match="text 2 has 12 tokens in one sentence, more than "
                                             "the 8"):
        translator.translate(["A frog.", long], long="refuse")
    with pytest.raises(zoo.DataError, match="text 2 has 12 tokens, more than the 8"):
        translator.translate(["A frog.", long], long="refuse", sentences=False)
    result, = translator.translate([long], truncate=True, details=True)
    assert result.truncated and len(result.source_tokens) == 8
    # by default a long text is split, never cut: every source token is read
    result, = translator.translate([long], details=True)
    assert result.pieces == 2 and not result.truncated and len(result.source_tokens) == 12
    assert result.attention.shape == (len(result.tokens), 12)
    two = translator.translate(["A frog. " * 2 + "A frog " * 5], details=True)[0]
    assert two.pieces == 4 and two.sentences == 3 and len(two.source_tokens) == 16  # 1 cut
    assert translator.pieces_of("A frog. A cat") == [["A", "frog", "."], ["A", "cat"]] or \
        translator.pieces_of("A frog. A cat") == [["a", "frog", "."], ["a", "cat"]]
    result, = translator.translate(["A xylophone."], details=True)
    assert result.unknown == ["xylophone"]
    assert isinstance(result.text, str) and result.finished
    with pytest.raises(zoo.ConfigError, match="method"):
        translator.translate(["A frog."], method="sample")
    with pytest.raises(zoo.DataError, match="not a string"):
        translator.translate([42])


def test_unknown_output_is_replaced_by_the_attended_source_word(trained):
    translator, _, _ = trained
    # Make the id of "rana" read as <unk>, as if the word were outside the target vocabulary:
    # the replacement must be the source word the decoder attends to most at that step.
    vocab = translator.target_vocab
    plain, = translator.translate(["A frog."], details=True)
    rana = vocab.id("rana")
    original = vocab.tokens[rana]
    vocab.tokens[rana] = "<unk>"
    try:
        replaced, = translator.translate(["A frog."], details=True)
        kept, = translator.translate(["A frog."], details=True, replace_unknown=False)
    finally:
        vocab.tokens[rana] = original
    assert replaced.tokens == ["Una", "<unk>", "."]
    column = int(np.argmax(plain.attention[1]))
    assert replaced.text == f"Una {plain.source_tokens[column]}."
    assert kept.text == "Una <unk>."


# -- training through the generic trainer and the CLI ------------------------------------------


def test_cli_train_resume_translate_and_evaluate(trained, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["train", "seq2seq_lstm", "--dataset", str(PAIRS), "--out", str(out),
              "--option", "units=16", "--option", "embedding_dim=8", "--batch-size", "32",
              "--verbose", "0"]
    assert main(common + ["--epochs", "1"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("test_bleu", "test_chrf", "test_bleu_beam", "test_chrf_beam",
                "validation_bleu", "test_token_accuracy"):
        assert key in metrics
    assert main(common + ["--epochs", "2"]) == 0  # resumes from the epoch-1 checkpoint
    assert "Resuming seq2seq_lstm from epoch 1 of 2" in capsys.readouterr().out
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 2

    # zoo translate on the overfitted model
    _, _, directory = trained
    assert main(["translate", str(directory), "A frog.", "A penguin.", "--beam", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Una rana.", "Un pingüino."]
    assert main(["translate", str(directory), "A frog.", "--json", "--attention"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["translation"] == "Una rana." and len(line["attention"]) == 3
    assert main(["translate", str(directory), "A frog.", "--attention"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "Una rana." and "frog" in table[1]
    assert main(["translate", str(directory), "frog " * 9]) == 0
    assert "text 1: the text has more than the 8 tokens the model was trained on: translated " \
        "in 2 pieces" in capsys.readouterr().err
    assert main(["translate", str(directory), "A frog. " + "Frog " * 9, "--json"]) == 0
    captured = capsys.readouterr()
    assert "text 1: 1 of its sentences has more than the 8 tokens" in captured.err
    line = json.loads(captured.out)
    assert line["sentences"] == 2 and line["too_long"] == 1 and line["pieces"] == 3
    # a whole-reading translator cuts a long text at its sentence ends: not one too long
    assert main(["translate", str(directory), "A frog. " * 5, "--whole", "--json"]) == 0
    captured = capsys.readouterr()
    assert "more than" in captured.err
    assert json.loads(captured.out)["too_long"] == 1
    # two sentences are two pieces, and no note; --whole reads them as one
    assert main(["translate", str(directory), "A frog. A penguin.", "--json"]) == 0
    captured = capsys.readouterr()
    line = json.loads(captured.out)
    assert line["translation"] == "Una rana. Un pingüino." and "pieces" not in captured.err
    assert line["pieces"] == line["sentences"] == 2 and len(line["source_tokens"]) == 6
    assert main(["translate", str(directory), "A frog. A penguin.", "--json", "--whole"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["pieces"] == line["sentences"] == 1 and len(line["source_tokens"]) == 6
    # a translation that stopped before its end token says so beside the text
    assert main(["translate", str(directory), "A frog.", "--max-length", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Una\n"
    assert captured.err == ("zoo: note: sentence 1: the translation stopped at the length cap, "
                            "maybe cut short (--max-length raises it)\n")
    assert main(["translate", str(tmp_path / "nowhere"), "A frog."]) == 2

    assert main(["evaluate", str(out), "--split", "validation"]) == 0
    assert "validation_bleu" in json.loads(capsys.readouterr().out)


def test_a_published_translator_is_measured_on_pairs_of_ones_own(capsys, tmp_path,
                                                                 monkeypatch):
    """`zoo evaluate WEIGHT --test-data PAIRS.tsv` with the weight alone: its training folder
    (data/translation/software_es, not here) is not needed; the figures are those of the test
    file's pairs, every one of them."""
    monkeypatch.chdir(tmp_path)
    pairs_file = PAIRS
    name = "seq2seq_gru_bahdanau.software_es_spm"
    assert main(["evaluate", name, "--test-data", str(pairs_file)]) == 0
    result = json.loads(capsys.readouterr().out)
    pairs = read_pairs(str(pairs_file)).pairs
    assert result["test_sentences"] == len(pairs)
    translator = zoo.load(name)
    sources, references = [s for s, _ in pairs], [t for _, t in pairs]
    assert result["test_bleu"] == pytest.approx(translator.scores(sources, references)[0]["bleu"])
    assert result["test_chrf_beam"] == pytest.approx(translator.scores(
        sources, references, method="beam", beam_width=4)[0]["chrf"])
    assert result["test_data"] == str(pairs_file)
    # a file whose every pair is over the model's length is still measured (BLEU and chrF,
    # translated sentence by sentence), only the teacher-forced figures are left out
    long_file = tmp_path / "long.tsv"
    long_file.write_text(" ".join([sources[0]] * 20) + "\t" + " ".join([references[0]] * 20)
                         + "\n", encoding="utf-8")
    assert main(["evaluate", name, "--test-data", str(long_file)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["test_sentences"] == 1 and "test_loss" not in result
    assert 0 <= result["test_bleu"] <= 100 and 0 <= result["test_chrf_beam"] <= 100


def test_a_source_that_repeats_itself_is_translated_with_its_repeats():
    """Greedy search stops a loop, but not the copies the source itself has: nine "file" are
    nine "archivo" (the published weight would go on writing "archivo"), and the score is the
    log-probability of those nine tokens, as a search capped at nine tokens gives it."""
    translator = zoo.load("seq2seq_gru_bahdanau.software_es")
    faithful, = translator.translate(["file " * 9], details=True)
    assert faithful.tokens == ["archivo"] * 9 and faithful.stop_reason == "repetition"
    capped, = translator.translate(["file " * 9], details=True, repeat_limit=None,
                                   max_length=9)
    assert capped.tokens == faithful.tokens and capped.stop_reason == "max_length"
    assert faithful.score == pytest.approx(capped.score, abs=1e-4)
