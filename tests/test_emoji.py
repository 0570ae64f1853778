"""The emoji caption set (zoo.data.sources.emoji): reading fake npm tarballs made here, the
split rule (held-out style, held-out emoji), the licence filter, and the ``emoji`` dataset
feeding the captioner for one tiny epoch."""

import dataclasses
import hashlib
import importlib.util
import io
import json
import sys

import numpy as np
import pytest
from PIL import Image

from zoo.data import captions as capdata
from zoo.data.sources import emoji
from zoo.errors import DataError
from zoo.training import train

from _helpers import write_tar_gz
from conftest import DATA_DIR

ROOT = DATA_DIR.parent.parent

TINY = {"encoder_filters": [8, 16], "feature_dim": 32, "embedding_dim": 16, "units": 32,
        "attention_units": 16, "dropout": 0.0, "batch_norm": False}
SIZE = 16
TONES = ["1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"]
TONE_EN = ["light", "medium-light", "medium", "medium-dark", "dark"]
TONE_ES = ["claro", "claro medio", "medio", "oscuro medio", "oscuro"]


def _bases():
    """Twelve base emoji: the first held out by the rule and eleven trained on."""
    candidates = [f"1F{n:03X}" for n in range(0x600, 0x700)]
    held = [c for c in candidates if emoji.is_heldout_emoji(c)]
    kept = [c for c in candidates if not emoji.is_heldout_emoji(c)]
    return held[:1] + kept[:11]


def _png(seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (8, 8, 4), dtype=np.uint8)
    pixels[0, 0, 3] = 0  # a transparent corner: composited on white
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG")
    return out.getvalue()


def _names(lang):
    entries = []
    for number, base in enumerate(_bases()):
        label = f"thing {number}" if lang == "en" else f"cosa {number}"
        entry = {"label": label, "hexcode": base}
        if number < 2:  # two emoji with skin tones
            tones = TONE_EN if lang == "en" else TONE_ES
            entry["skins"] = [{"label": f"{label}: {tone} skin tone" if lang == "en" else
                               f"{label}: tono de piel {tone}", "hexcode": f"{base}-{code}"}
                              for code, tone in zip(TONES, tones)]
        entries.append(entry)
    return json.dumps(entries).encode()


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Fake npm tarballs: two PNG styles (one lacks an emoji, one names a file with FE0F), a
    third standing for the held-out style, and the emojibase names."""
    root = tmp_path_factory.mktemp("npm")
    codes = [b for b in _bases()] + [f"{b}-{t}" for b in _bases()[:2] for t in TONES]
    archives = {}
    for index, style in enumerate(("google", "twitter", "openmoji")):
        folder = emoji.STYLES[style].folder
        names = {f"{folder}{c.lower()}.png": _png(index * 100 + i) for i, c in enumerate(codes)}
        if style == "google":
            names.pop(f"{folder}{codes[3].lower()}.png")
            names[f"{folder}{codes[4].lower()}-fe0f.png"] = names.pop(f"{folder}{codes[4].lower()}.png")
        names["package/README.md"] = b"not a picture"
        archives[style] = write_tar_gz(root / f"{style}.tgz", names)
    names = write_tar_gz(root / "emojibase-data.tgz", {"package/en/data.json": _names("en"),
                                               "package/es/data.json": _names("es")})
    return archives, names


@pytest.fixture(scope="module")
def emoji_dir(packs, tmp_path_factory):
    archives, names = packs
    out = tmp_path_factory.mktemp("data")
    png_openmoji = dataclasses.replace(emoji.STYLES["openmoji"], kind="png")
    with pytest.MonkeyPatch.context() as patch:  # the test's held-out style is drawn as PNG
        patch.setitem(emoji.STYLES, "openmoji", png_openmoji)
        emoji.extract_emoji(archives, names, out / "emoji", size=SIZE)
    return out


def _train_pretrained():
    spec = importlib.util.spec_from_file_location("train_pretrained",
                                                  ROOT / "scripts/train_pretrained.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def _rows(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def test_the_reader_writes_pictures_and_captions_in_both_languages(emoji_dir):
    rows = _rows(emoji_dir / "emoji" / "captions.tsv")
    assert len(rows) == 3 * 22 - 1  # 12 emoji + 10 tone variants per style, one missing
    assert {r["style"] for r in rows} == {"google", "twitter", "openmoji"}
    base, held = _bases()[1], _bases()[0]
    tone = next(r for r in rows if r["hexcode"] == f"{base}-1F3FD" and r["style"] == "twitter")
    assert tone["caption_en"] == "thing 1: medium skin tone"
    assert tone["caption_es"] == "cosa 1: tono de piel medio" and tone["group"] == base
    assert any(r["hexcode"] == _bases()[4] for r in rows if r["style"] == "google")  # FE0F
    picture = Image.open(emoji_dir / "emoji" / tone["image"])
    assert picture.mode == "RGB" and picture.size == (SIZE, SIZE)
    assert (emoji_dir / "emoji" / "images" / "google" / f"{held}.png").is_file()
    clear = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear, format="PNG")
    assert set(emoji.to_rgb(clear.getvalue(), 4).getdata()) == {(255, 255, 255)}
    figures = json.loads((emoji_dir / "emoji" / "figures.json").read_text())
    assert figures["styles"] == {"google": 21, "twitter": 22, "openmoji": 22}
    assert figures["captions_en"] == figures["captions_es"] == 65
    assert figures["train_words_en"] == len({w for r in rows if r["split"] == "train"
                                             for w in capdata.caption_tokens(r["caption_en"])})


def test_the_split_holds_out_a_style_and_whole_emoji(emoji_dir):
    rows = _rows(emoji_dir / "emoji" / "captions.tsv")
    held = _bases()[0]
    for row in rows:
        expected = ("test_style" if row["style"] == emoji.TEST_STYLE else
                    "test_emoji" if row["group"] == held else "train")
        assert row["split"] == expected
    train = _rows(emoji_dir / "emoji" / "train.tsv")
    assert train and all(r["style"] in emoji.TRAIN_STYLES for r in train)
    assert emoji.TEST_STYLE not in emoji.TRAIN_STYLES
    assert not {r["group"] for r in train} & {held}
    test_emoji = _rows(emoji_dir / "emoji" / "test_emoji.tsv")
    assert {(r["style"], r["group"]) for r in test_emoji} == {("google", held), ("twitter", held)}
    assert {r["style"] for r in _rows(emoji_dir / "emoji" / "test_style.tsv")} == {"openmoji"}
    shares = [emoji.is_heldout_emoji(f"{n:X}") for n in range(0x1F300, 0x1F700)]
    assert 0.06 < np.mean(shares) < 0.14  # about HELDOUT_BUCKETS in 100


def test_styles_without_an_open_licence_are_refused(packs, tmp_path, monkeypatch):
    archives, names = packs
    with pytest.raises(DataError, match="'facebook' emoji style is not openly licensed"):
        emoji.extract_emoji({"google": archives["google"], "facebook": archives["twitter"]},
                            names, tmp_path / "emoji", size=SIZE)
    assert not (tmp_path / "emoji").exists()

    def no_download(*args):
        raise AssertionError("nothing is downloaded for a refused style")

    monkeypatch.setattr(emoji.packages, "npm_pack", no_download)
    with pytest.raises(DataError, match="'apple' emoji style is not openly licensed"):
        emoji.fetch_emoji(tmp_path, styles=("google", "apple"))
    with pytest.raises(DataError, match="unknown emoji style 'noto'"):
        emoji.fetch_emoji(tmp_path, styles=("noto",))


def test_the_emoji_dataset_trains_the_captioner(emoji_dir, tmp_path):
    data = capdata.load_caption_data("emoji", data_dir=emoji_dir, batch_size=4,
                                     validation_fraction=0.2, recipe={"caption_column":
                                                                      "caption_es"})
    ids = {split: set(data.splits[split].ids) for split in capdata.SPLITS}
    groups = {split: {name.rsplit("/", 1)[1].split("-")[0].split(".")[0] for name in names}
              for split, names in ids.items()}
    assert not groups["train"] & groups["validation"]  # a validation emoji in no train style
    assert all(name.startswith("images/openmoji/") for name in ids["test"])
    assert _bases()[0] not in groups["train"] | groups["validation"]
    assert "cosa" in data.vocabulary and "thing" not in data.vocabulary
    out = tmp_path / "show_attend_tell.emoji_en"
    metrics = train("show_attend_tell", dataset="emoji", data_dir=emoji_dir, out_dir=out,
                    epochs=1, batch_size=8, options=TINY, verbose=0,
                    recipe={"eval_beam_width": 0})
    assert {"test_bleu4", "test_exact_match", "validation_bleu4"} <= set(metrics)
    config = json.loads((out / "zoo.json").read_text())
    assert config["dataset"]["name"] == "emoji" and config["dataset"]["images"]["test"] == 22
    # the second test set, measured after the run as scripts/train_pretrained.py does
    figures = _train_pretrained().measure_heldout("show_attend_tell.emoji_en", emoji_dir,
                                                  tmp_path)
    recorded = json.loads((out / "metrics.json").read_text())
    assert recorded["test_emoji_images"] == figures["test_emoji_images"] == 12
    assert {"test_emoji_bleu4", "test_emoji_exact_match"} <= set(recorded)
    assert recorded["test_bleu4"] == metrics["test_bleu4"]  # the held-out style's, kept
    with pytest.raises(DataError, match="fetch_data.py emoji"):
        capdata.load_caption_data("emoji", data_dir=tmp_path)


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">'
       b'<circle cx="36" cy="36" r="20" fill="#FF0000"/></svg>')


def test_a_packed_style_is_checked_against_its_pinned_hash(monkeypatch, tmp_path):
    def fake_pack(package, folder):
        archive = folder / "pack.tgz"
        archive.write_bytes(b"the pack " * 1000)
        return archive

    monkeypatch.setattr(emoji.packages, "npm_pack", fake_pack)
    digest = hashlib.sha256(b"the pack " * 1000).hexdigest()
    (tmp_path / "again").mkdir()
    assert emoji._packed("emojibase-data", digest, tmp_path).read_bytes() == b"the pack " * 1000
    with pytest.raises(DataError, match=f"npm emojibase-data has SHA-256 {digest}, not the "
                                        "pinned 00"):
        emoji._packed("emojibase-data", "00" * 32, tmp_path / "again")


def test_without_a_data_directory_the_error_says_to_give_one(monkeypatch, tmp_path):
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="^no data directory: pass --data-dir or set "
                                        "ZOO_DATA_DIR .*fetch_data.py emoji"):
        capdata.emoji_folder(None)
    with pytest.raises(DataError, match=f"the emoji set is not in {tmp_path / 'emoji'}"):
        capdata.emoji_folder(tmp_path)


def test_without_cairosvg_a_clear_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # as when it is not installed
    with pytest.raises(DataError, match=r"needs CairoSVG: pip install 'zoo\[fetch\]'"):
        emoji.render_svg(SVG, 8)


def test_svg_pictures_are_rendered_on_white_reading_nothing_they_link(tmp_path):
    pytest.importorskip("cairosvg")  # the optional extra [fetch]
    picture = emoji.to_rgb(emoji.render_svg(SVG, 8), 8)
    assert picture.getpixel((0, 0)) == (255, 255, 255)
    red, green, blue = picture.getpixel((4, 4))
    assert red > 200 and green < 60 and blue < 60
    with pytest.raises(DataError, match="cannot render an SVG picture"):
        emoji.render_svg(b"<svg", 8)
    blue = tmp_path / "blue.png"
    Image.new("RGB", (9, 9), (0, 0, 255)).save(blue)
    linked = SVG.replace(b"</svg>", b'<image href="' + blue.as_uri().encode() +
                         b'" width="72" height="72"/></svg>')
    linked_picture = emoji.to_rgb(emoji.render_svg(linked, 8), 8)
    assert linked_picture.getpixel((0, 0)) == (255, 255, 255)  # the linked file is not read


def test_publishing_measures_an_emoji_captioner_on_the_small_set(tiny_emoji_captioner_run):
    """The fixture scripts/train_pretrained.py gives an emoji weight names the emoji set (read
    from tests/data/emoji_small), not a path: zoo.publish measures its test split there (the 11
    OpenMoji pictures)."""
    import zoo
    from zoo import publish

    fixtures = _train_pretrained().FIXTURES
    task = zoo.load(tiny_emoji_captioner_run)
    english = publish.measure_fixture(task, fixtures["emoji_en"])
    assert english["test_images"] == 11 and 0 <= english["test_bleu4"] <= 100
    assert english == task.measure(task.prepare_saved(
        dataset="emoji", data_dir=str(DATA_DIR / "emoji_small")), splits=("test",))

