"""Write zoo/models/index.json: the plain data of every registered model (family, task,
description, options, recipe, the module that registers it, its default parameter count), so
`zoo list` and `zoo describe` answer without importing Keras. Run it after adding or changing a
registered model; tests/test_registry.py fails while the index and the registry differ.

    python scripts/update_model_index.py
"""

import json

import zoo.models  # noqa: F401  (registers every model)
from zoo import registry
from zoo.errors import ConfigError
from zoo.saving import to_plain, write_json


def live_index():
    """``{name: plain data}`` built from the live registry."""
    models = {}
    for name in sorted(registry._REGISTRY):
        spec = registry.get_spec(name)
        try:
            num_params = int(registry.build(name).count_params())
        except ConfigError:  # a size that comes from the data (a vocabulary)
            num_params = None
        models[name] = {**to_plain(registry.describe(name)), "module": spec.module,
                        "num_params": num_params}
    return json.loads(json.dumps(models, default=str))


if __name__ == "__main__":
    models = live_index()
    write_json(registry.INDEX_FILE, {"format": 1, "models": models})
    print(f"wrote {len(models)} models into {registry.INDEX_FILE.name}")
