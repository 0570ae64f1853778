"""Text preprocessing shared by the sequence families: vocabularies and tokenizers."""

from zoo.text.vocab import Vocabulary

__all__ = ["Vocabulary"]
