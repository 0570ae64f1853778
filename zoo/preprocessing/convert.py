"""The ``zoo.json`` formats: ``"zoo/2"`` keeps a model's preprocessing under the one key
``"preprocessor"``; :func:`upgrade` turns a config of the first format, ``"zoo/1"``, into it.

In ``zoo/1`` the preprocessing was spread over several keys, by task: ``preprocessing`` (images;
a translator's token settings), ``patches`` and ``preprocessing.patch_normalization`` (patch
autoencoders), ``vocabulary`` (character models; their window in ``dataset.sequence_length`` or
the recipe), ``source_vocab`` and ``target_vocab`` (translators, the token settings possibly only
in the build options). A captioner's word vocabulary is its output and stays under
``vocabulary``.

Example:
    >>> from zoo.preprocessing.convert import upgrade
    >>> old = {"format": "zoo/1", "task": "image_classification", "model": "perceptron",
    ...        "options": {}, "class_names": ["0", "1"],
    ...        "preprocessing": {"color_mode": "L", "size": [28, 28], "scale": 1 / 255}}
    >>> new = upgrade(old)
    >>> new["format"], new["preprocessor"]["kind"], "preprocessing" in new
    ('zoo/2', 'image', False)
"""

FORMAT = "zoo/2"
OLD_FORMATS = ("zoo/1",)
DEFAULT_SEQUENCE_LENGTH = 100


def _image(pre):
    return {"kind": "image", **dict(pre or {})}


def _patches(pre, patches):
    pre, patches = dict(pre or {}), dict(patches or {})
    normalization = pre.pop("patch_normalization", None) or {}
    out = {"kind": "patches", **pre}
    for old, new in (("per_image", "per_image"), ("image_size", "image_size"),
                     ("normalize", "normalize")):
        if old in patches:
            out[new] = patches[old]
    out["normalization_scale"] = normalization.get("scale", patches.get("scale"))
    return out


def _translation(config, pre):
    options = config.get("options") or {}
    pre = dict(pre) if isinstance(pre, dict) else {
        "tokenizer": "words/1", "lowercase": bool(options.get("lowercase", False)),
        "reverse_source": bool(options.get("reverse_source", False)),
        "max_tokens": int(options.get("max_tokens", 20)),
        "min_count": int(options.get("min_count", 1))}
    return {"kind": "word_tokens", **pre, "source_vocab": config.pop("source_vocab", None),
            "target_vocab": config.pop("target_vocab", None)}


def _characters(config):
    length = (config.get("dataset") or {}).get("sequence_length") \
        or (config.get("train") or {}).get("sequence_length") or DEFAULT_SEQUENCE_LENGTH
    return {"kind": "characters", "vocabulary": config.pop("vocabulary", None),
            "sequence_length": length}


def upgrade(config):
    """A ``zoo.json`` config in the current format: a ``zoo/1`` config converted (a new dict;
    the preprocessing keys of its task gathered under ``"preprocessor"``), a current one as it
    is. Anything else (not a dict, another format) is returned unchanged for the caller's
    check to refuse."""
    if not isinstance(config, dict) or config.get("format") not in OLD_FORMATS:
        return config
    config = dict(config)
    task = config.get("task")
    pre = config.pop("preprocessing", None)
    patches = config.pop("patches", None)
    if task == "language_model":
        config["preprocessor"] = _characters(config)
    elif task == "translation":
        config["preprocessor"] = _translation(config, pre)
    elif task == "autoencoder" and (patches or (isinstance(pre, dict)
                                                and pre.get("patch_normalization"))):
        config["preprocessor"] = _patches(pre, patches)
    elif pre is not None:
        config["preprocessor"] = _image(pre)
    config["format"] = FORMAT
    return config
