"""The bounds of every decoding and sampling setting, and their checks: the one place the
CLI's ``--help``, the decoding module and the task objects read them from. A ground module
(no Keras), so ``zoo --help`` states them without importing TensorFlow.
"""

from zoo.checks import check_number

MAX_DECODE_LENGTH = 1000  # tokens a translation or a caption may have
MAX_BEAM = 64
MAX_LENGTH_PENALTY = 10.0
MAX_GENERATE_LENGTH = 100_000  # characters one generate call may write (minutes on a CPU)
# characters one beam-search generation may write: each step rewrites the beams' whole text so
# far, so the cost grows with the square of the length
MAX_BEAM_GENERATE_LENGTH = 2_000
MAX_TEMPERATURE = 100.0
MAX_TOP_K = 65_536
MAX_SEED = 2**32 - 1
MAX_PREFIX = 1_000_000  # characters of a prefix to continue
# characters of one text to translate (a few pages): it is translated in pieces whose joined
# attention weights grow with the square of its length (a 225 kB line took 10 GB)
MAX_TEXT_CHARS = 10_000


def check_search(*, max_length=None, beam_width=None, length_penalty=None):
    """Validate greedy and beam-search settings (the same for translation and captioning):
    ``max_length`` 1 to :data:`MAX_DECODE_LENGTH` (``None``: the model's default), ``beam_width``
    1 to :data:`MAX_BEAM`, ``length_penalty`` 0 to :data:`MAX_LENGTH_PENALTY`. Returns them as
    plain numbers; raises :class:`~zoo.errors.ConfigError`."""

    return (check_number(max_length, "max_length", whole=True, low=1, high=MAX_DECODE_LENGTH,
                         none=True),
            check_number(beam_width, "beam width", whole=True, low=1, high=MAX_BEAM, none=True),
            check_number(length_penalty, "length penalty", low=0, high=MAX_LENGTH_PENALTY,
                         none=True))


def check_sampling(*, length=None, temperature=None, top_k=None, seed=None):
    """Validate text-generation settings: ``length`` 0 to :data:`MAX_GENERATE_LENGTH`,
    ``temperature`` 0 (greedy) to :data:`MAX_TEMPERATURE`, ``top_k`` 1 to :data:`MAX_TOP_K`,
    ``seed`` 0 to :data:`MAX_SEED` (``None`` leaves each unset)."""

    return (check_number(length, "length", whole=True, low=0, high=MAX_GENERATE_LENGTH,
                         none=True),
            check_number(temperature, "temperature", low=0, high=MAX_TEMPERATURE, none=True),
            check_number(top_k, "top_k", whole=True, low=1, high=MAX_TOP_K, none=True),
            check_number(seed, "seed", whole=True, low=0, high=MAX_SEED, none=True))


def check_top_p(top_p):
    """Validate nucleus sampling's ``top_p``: above 0, at most 1 (``None`` leaves it unset, as
    does 1: every token is kept). Returns it as a ``float``; raises
    :class:`~zoo.errors.ConfigError`."""

    top_p = check_number(top_p, "top_p", above=0, high=1, none=True)
    return None if top_p is None else float(top_p)
