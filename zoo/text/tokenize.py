"""Word-level tokenization for European languages, and the detokenizer that undoes it.

:func:`tokenize` splits a sentence into words and punctuation marks: accents and other letters
stay inside words (``"años"``, ``"pingüino"``), every punctuation mark is a token of its own
(``"¿"``, ``"¡"``, ``","``, ``"."``), numbers keep their inner separators (``"3.5"``,
``"1,000"``), and words keep inner apostrophes, hyphens and dots (``"don't"``,
``"drag-and-drop"``, ``"EE.UU"``, ``"file.txt"``).
The text is first put in Unicode NFC form, so an accent typed as a combining mark reads the same
as the precomposed letter.

:func:`caption_tokens` keeps the lower-cased words of a caption, without punctuation.

:func:`detokenize` joins tokens back into readable text: no space before ``, . ? ! ; : ) ] } %``
``°`` and closing quotes, none after ``¿ ¡ ( [ { #`` and opening quotes, none around ``/``;
straight double quotes alternate between opening and closing. Scores such
as BLEU are computed on detokenized text, so they compare like with like.

Example:
    >>> tokenize("¿Dónde está el pingüino?")
    ['¿', 'Dónde', 'está', 'el', 'pingüino', '?']
    >>> caption_tokens("A frog, jumping!")
    ['a', 'frog', 'jumping']
    >>> detokenize(['¡', 'hola', ',', 'mundo', '!'])
    '¡hola, mundo!'
"""

import re
import unicodedata

# a number with inner separators | a word with inner apostrophes, hyphens or dots | any other mark
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:['’.\-]\w+)*|[^\w\s]")

NO_SPACE_BEFORE = frozenset(",.?!;:)]}%°…»”’")
NO_SPACE_AFTER = frozenset("¿¡([{«“‘#")
JOINERS = frozenset("/")  # no space on either side
TOGGLE_QUOTES = frozenset('"')  # opening, then closing, then opening...


def normalize(text):
    """NFC form with runs of whitespace made single spaces, trimmed."""
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def tokenize(text, *, lowercase=False):
    """The word and punctuation tokens of ``text`` (see the module docstring).

    Args:
        text: one sentence (any string; empty gives ``[]``).
        lowercase: lower-case the tokens (``"Él"`` -> ``"él"``).
    """
    text = normalize(text)
    if lowercase:
        text = text.lower()
    return _TOKEN.findall(text)


def caption_tokens(text):
    """The words of a caption as captioning reads them: lower case, punctuation and symbols
    dropped (``"A frog."`` -> ``['a', 'frog']``)."""
    return [t for t in tokenize(text, lowercase=True)
            if not all(unicodedata.category(c).startswith(("P", "S")) for c in t)]


def detokenize(tokens):
    """Readable text from tokens: spaces between words, none where punctuation attaches."""
    out = []
    glue = True  # no space before the next token
    quote_open = False
    for token in tokens:
        if token in TOGGLE_QUOTES:
            if quote_open:  # a closing quote attaches to what precedes it
                out.append(token)
                glue = False
            else:
                out.append(token if glue else " " + token)
                glue = True
            quote_open = not quote_open
            continue
        attach = glue or token in NO_SPACE_BEFORE or token in JOINERS
        out.append(token if attach else " " + token)
        glue = token in NO_SPACE_AFTER or token in JOINERS
    return "".join(out)
