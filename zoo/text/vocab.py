"""A vocabulary: tokens <-> integer ids, with special tokens, saved as plain data."""

import collections

from zoo.errors import DataError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"


class Vocabulary:
    """An ordered list of tokens; the special tokens come first, ``<pad>`` is always id 0.

    Args:
        tokens: the ordinary tokens, in id order.
        specials: special tokens put before them (default: pad and unknown).

    Example:
        >>> vocab = Vocabulary.build("hello world")
        >>> vocab.encode("hold")
        [7, 3, 2, 5]
        >>> "".join(vocab.decode(vocab.encode("hello")))
        'hello'
    """

    def __init__(self, tokens, *, specials=(PAD, UNK)):
        specials = list(specials)
        if not specials or specials[0] != PAD:
            raise ValueError("the first special token must be <pad> (id 0)")
        self.specials = specials
        self.tokens = specials + [t for t in tokens if t not in specials]
        self._ids = {token: index for index, token in enumerate(self.tokens)}
        if len(self._ids) != len(self.tokens):
            raise ValueError("tokens must be unique")

    @classmethod
    def build(cls, tokens, *, specials=(PAD, UNK), min_count=1, max_size=None):
        """Count ``tokens`` (any iterable of strings) and keep the frequent ones.

        Ties in frequency are broken by the token itself, so the result is deterministic.
        ``max_size`` counts the special tokens too.
        """
        counts = collections.Counter(tokens)
        ranked = sorted((t for t, c in counts.items() if c >= min_count and t not in specials),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, int(max_size) - len(specials))]
        return cls(ranked, specials=specials)

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self._ids

    def id(self, token):
        """The id of ``token``: the unknown id for a token never seen (error if there is none)."""
        try:
            return self._ids[token]
        except KeyError:
            if UNK not in self._ids:
                raise DataError(f"{token!r} is not in the vocabulary, which has no <unk>") from None
            return self._ids[UNK]

    @property
    def pad_id(self):
        return 0

    @property
    def unk_id(self):
        return self._ids.get(UNK)

    @property
    def bos_id(self):
        return self._ids.get(BOS)

    @property
    def eos_id(self):
        return self._ids.get(EOS)

    def encode(self, tokens):
        """Ids of a sequence of tokens (a string is a sequence of characters)."""
        return [self.id(t) for t in tokens]

    def decode(self, ids, *, skip_specials=True):
        """Tokens of a sequence of ids; stops at ``</s>`` and drops specials unless told not to."""
        out = []
        for index in ids:
            index = int(index)
            if not 0 <= index < len(self.tokens):
                raise DataError(f"id {index} is outside the vocabulary of {len(self.tokens)}")
            token = self.tokens[index]
            if token == EOS and skip_specials:
                break
            if skip_specials and token in self.specials:
                continue
            out.append(token)
        return out

    def to_dict(self):
        """Plain data for ``zoo.json``."""
        return {"specials": list(self.specials), "tokens": self.tokens[len(self.specials):]}

    @classmethod
    def from_dict(cls, data):
        """Restore a vocabulary saved by :meth:`to_dict`."""
        try:
            return cls(data["tokens"], specials=data["specials"])
        except (KeyError, TypeError, ValueError) as err:
            raise DataError(f"damaged vocabulary in the model config ({err})") from None
