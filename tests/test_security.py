"""Names that try to leave their folder, and tampered weight tables: refused before anything is
written, through the Python API and the `zoo` command alike (issue 19, the security cases).

The planted links and files in the download cache are in tests/test_hub.py (section 8c).
"""

import json
import os
import pathlib

import pytest

import zoo
from zoo import _naming, cli, publish, saving, weights
from zoo.errors import ConfigError, DataError

HOSTILE_NAMES = ["../../etc/passwd", "..", ".", "", "a/b", "a\\b", "../x", "x/../../y",
                 "name\nzoo: error: forged\x1b[31m", "/abs", "a..b", "-rf", ".hidden",
                 "x" * 101, "nul\x00byte", "tab\tname"]
SAFE_NAMES = ["mnist_convnet.mnist", "perceptron.tiny", "char_lstm.english", "a", "A-1_b+c.2",
              "x" * 100]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n)[:30] for n in HOSTILE_NAMES])
def test_hostile_names_are_not_safe(name):
    assert not _naming.is_safe_name(name)
    with pytest.raises(ConfigError, match="not a safe name|must be a string") as caught:
        _naming.check_safe_name(name, "the weight name")
    assert str(caught.value).isprintable()  # a newline or an ESC never reaches the terminal


@pytest.mark.parametrize("name", SAFE_NAMES)
def test_weight_names_in_use_are_safe(name):
    assert _naming.check_safe_name(name) == name


def test_every_published_name_is_safe():
    for name, record in weights.records().items():
        assert _naming.is_safe_name(name)
        assert all(_naming.is_safe_name(f["name"]) for f in record["files"])


def test_inside_refuses_a_link_out_of_its_folder(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "weights").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataError, match="leads outside"):
        _naming.inside(folder, "weights", "model.mnist")
    assert _naming.inside(folder, "fine", "model.mnist") == folder / "fine" / "model.mnist"


@pytest.mark.parametrize("name", HOSTILE_NAMES[:10], ids=[repr(n)[:30] for n in HOSTILE_NAMES[:10]])
def test_publish_refuses_a_hostile_name_before_writing(name, tmp_path, tiny_perceptron_run):
    out = tmp_path / "deep" / "er" / "published"
    with pytest.raises(ConfigError, match="not a safe name"):
        publish.publish(tiny_perceptron_run, out, name=name, data_source="fixture",
                        data_license="CC BY-SA 3.0", command="zoo train perceptron ...")
    assert not (tmp_path / "deep").exists()  # nothing written, above or below


def test_publish_refuses_a_name_that_is_a_link_out(tmp_path, tiny_perceptron_run):
    out = tmp_path / "published"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "perceptron.tiny").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ConfigError, match="leads outside"):
        publish.publish(tiny_perceptron_run, out, name="perceptron.tiny", data_source="fixture",
                        data_license="CC BY-SA 3.0", command="zoo train perceptron ...")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", ".", "a/b",
                                  "evil\nzoo: published\x1b[2J"])
def test_cli_publish_refuses_a_hostile_name_in_one_line(name, tmp_path, tiny_perceptron_run,
                                                        capsys):
    out = tmp_path / "a" / "b" / "published"
    code = cli.main(["weights", "publish", str(tiny_perceptron_run), str(out), "--name", name,
                     "--data-source", "fixture", "--data-license", "CC BY-SA 3.0",
                     "--command", "zoo train perceptron"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1, err
    assert "\x1b" not in err and "not a safe name" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "etc").exists()


def _tampered_table(tmp_path, monkeypatch, *, record_name="perceptron.mnist",
                    file_name=saving.WEIGHTS_FILE):
    record = weights.get_weight("perceptron.mnist")
    record["name"] = record_name
    record["bundled"] = False
    record["files"][1]["name"] = file_name
    table = tmp_path / "table"
    table.mkdir()
    (table / weights.RECORDS_FILE).write_text(json.dumps([record]))
    monkeypatch.setattr(weights, "PRETRAINED_DIR", table)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ZOO_WEIGHTS_URL", (tmp_path / "mirror").as_uri() + "/")
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    return table


@pytest.mark.parametrize("field", ["record", "file"])
def test_a_tampered_table_is_refused_before_any_download(field, tmp_path, monkeypatch, capsys):
    kwargs = ({"record_name": "../../escaped"} if field == "record"
              else {"file_name": "../../../escaped.h5"})
    _tampered_table(tmp_path, monkeypatch, **kwargs)
    with pytest.raises(DataError, match="not a safe weight or file name"):
        weights.list_weights()
    name = kwargs.get("record_name", "perceptron.mnist")
    assert cli.main(["weights", "download", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: ") and "tampered" in err
    assert not list(tmp_path.glob("**/escaped*"))
    assert not (tmp_path / "cache").exists()


def test_a_cache_whose_weights_folder_links_out_is_refused(tmp_path, monkeypatch):
    _tampered_table(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (cache / "weights").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataError, match="leads outside"):
        weights.weight_dir("perceptron.mnist")
    assert list(outside.iterdir()) == []
