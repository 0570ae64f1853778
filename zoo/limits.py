"""The bounds of every decoding and sampling setting, and their checks: the one place the
CLI's ``--help``, the decoding module and the task objects read them from. A ground module
(no Keras), so ``zoo --help`` states them without importing TensorFlow.
"""

from zoo.checks import check_choice, check_number
from zoo.errors import ConfigError

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
GENERATION_METHODS = ("greedy", "sample", "beam")  # how generate picks each next character
DEFAULT_BEAM_WIDTH = 4


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


def check_generation(method, temperature, top_k, top_p, beam_width, length, seed):
    """Validate a text generator's settings together, before any model is loaded: each
    within its bounds (:func:`check_sampling`, :func:`check_top_p`, :func:`check_search`),
    ``length`` given, ``method`` one of :data:`GENERATION_METHODS` (``None``: ``"sample"``,
    or ``"greedy"`` when ``temperature`` is 0, which then ignores ``top_k``, ``top_p`` and
    ``seed``), the sampling settings and ``seed`` only with ``"sample"``, ``beam_width`` only
    with ``"beam"``, a beam search at most :data:`MAX_BEAM_GENERATE_LENGTH` characters.

    Returns ``(method, length, temperature, top_k, top_p, beam_width, seed)`` with the
    defaults filled (temperature 1, beam width :data:`DEFAULT_BEAM_WIDTH`); raises
    :class:`~zoo.errors.ConfigError` naming each setting as the API and the CLI call it."""

    if length is None:
        raise ConfigError("length must be given (--length): the number of characters to "
                          "generate")
    length, temperature, top_k, seed = check_sampling(length=length, temperature=temperature,
                                                      top_k=top_k, seed=seed)
    top_p = check_top_p(top_p)
    _, beam_width, _ = check_search(beam_width=beam_width)
    if method is None:  # as before there was a choice: sampling, greedy at temperature 0
        method = "greedy" if temperature == 0 else "sample"
    if method == "greedy" and temperature == 0:  # the argmax whatever top-k, top-p and seed
        temperature = top_k = top_p = seed = None
    check_choice(method, "method", GENERATION_METHODS)
    other = f"method={method!r} (--method {method})"
    given = [(name, flag) for name, flag, value in (
        ("temperature", "--temperature", temperature), ("top_k", "--top-k", top_k),
        ("top_p", "--top-p", top_p)) if value is not None]
    if method != "sample" and given:
        one = len(given) == 1
        raise ConfigError(f"{' and '.join(name for name, _ in given)} "
                          f"{'is a' if one else 'are'} sampling setting{'' if one else 's'} "
                          f"({', '.join(flag for _, flag in given)}): leave "
                          f"{'it' if one else 'them'} out with {other}, or use "
                          "method='sample' (--method sample)")
    if method != "sample" and seed is not None:
        raise ConfigError(f"seed (--seed) is for method='sample': {other} writes the same "
                          "text every time; leave it out")
    if method == "sample" and temperature is not None and temperature <= 0:
        raise ConfigError(f"temperature must be above 0 to sample (--temperature), got "
                          f"{temperature!r} (the most probable character each time is "
                          "method='greedy', --method greedy)")
    if method != "beam" and beam_width is not None:
        raise ConfigError(f"beam_width is for method='beam' (--beam-width with --method "
                          f"beam), not {other}")
    if method == "beam" and length > MAX_BEAM_GENERATE_LENGTH:
        raise ConfigError(f"beam search writes at most {MAX_BEAM_GENERATE_LENGTH:,} "
                          f"characters, asked for length={length:,} (--length; its cost grows "
                          "with the square of the length): ask for fewer, or sample")
    return (method, length, 1.0 if temperature is None else temperature, top_k, top_p,
            DEFAULT_BEAM_WIDTH if beam_width is None else beam_width, seed)
