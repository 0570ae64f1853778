"""Print the README's table of published weights from their records (zoo/pretrained/weights.json).

    python scripts/weights_table.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoo import weights  # noqa: E402


def main():
    print("| weight | data | headline (held-out) | other held-out figures | params | size | "
          "epochs | train time |")
    print("|---|---|---|---|---|---|---|---|")
    for name in weights.list_weights():
        r = weights.get_weight(name)
        m = r["metrics"]
        other = {
            "image_classification": lambda: f"validation acc. {100 * m['validation_accuracy']:.2f}%",
            "language_model": lambda: (f"validation {m['validation_bits_per_char']:.3f} bits/char, "
                                       f"test perplexity {m['test_perplexity']:.2f}" + (
                f", test read on {m['test_read_on_bits_per_char']:.3f} bits/char"
                if "test_read_on_bits_per_char" in m else "") + (
                f"; Persuasion {m['test_persuasion_bits_per_char']:.3f} bits/char, \"o\" "
                f"#{m['test_hell_o_rank']} after \"Hell\" ({m['test_hell_o_probability']:.2f})"
                if "test_persuasion_bits_per_char" in m else "")),
            "translation": lambda: (f"test beam-4 BLEU {m['test_bleu_beam']:.1f}, chrF "
                                    f"{m['test_chrf']:.1f}; {m['test_sentences']} test pairs"),
            "captioning": lambda: (f"BLEU-1 {m['test_bleu1']:.1f}, exact match "
                                   f"{100 * m['test_exact_match']:.1f}%"),
            "autoencoder": lambda: (
                f"PSNR {m['test_unseen_photos_psnr']:.1f} dB, variance explained "
                f"{100 * m['test_unseen_photos_variance_explained']:.1f}% on "
                f"{m['test_unseen_photos_photos']} unseen photos (per photo MSE "
                f"{m['test_unseen_photos_mse_min']:.5f} to {m['test_unseen_photos_mse_max']:.4f}, "
                f"median {m['test_unseen_photos_mse_median']:.4f}); test MSE "
                f"{m['test_mse']:.5f} on its {len(r['dataset']['files']['test'])} held-out photos"
                if "test_unseen_photos_mse" in m else
                f"PSNR {m['test_psnr']:.1f} dB, variance explained "
                f"{100 * (m.get('test_variance_explained') or 0):.1f}%"),
        }[r["task"]]()
        size = sum(f["size"] for f in r["files"]) / 1e6
        data = {"mnist": "MNIST", "english": "Austen + fortunes",
                "english_broad": "broad English (unseen authors)", "photos": "28 photos",
                "software_es": "LibreOffice + Tux Paint en-es",
                "mnist_captions": "MNIST caption canvases"}.get(name.split(".", 1)[1], "")
        print(f"| `{name}` | {data} | **{weights.headline_text(r)}** | {other} | "
              f"{r['num_params']:,} | {size:.1f} MB | {epochs_and_time(r['training'])} |")


def epochs_and_time(training):
    """The table's epochs and train time of a record's ``training``: a weight continued from
    another (``init_from``, see ``zoo train --init-from``) shows the whole chain, e.g.
    ``4 (2 + 2) | 11000 s (5835 + 5165)``."""
    epochs, walls = [training["epochs_run"]], [training["wall_time_s"]]
    earlier = training.get("init_from")
    while earlier:
        epochs.insert(0, earlier.get("epochs"))
        walls.insert(0, earlier.get("wall_time_s"))
        earlier = earlier.get("init_from")
    if len(epochs) == 1:
        return f"{epochs[0]} | {walls[0]:.0f} s"
    if None in epochs or None in walls:
        return f"{training.get('epochs_total') or '?'} | {walls[-1]:.0f} s (the last run)"
    return (f"{sum(epochs)} ({' + '.join(map(str, epochs))}) | {sum(walls):.0f} s "
            f"({' + '.join(f'{w:.0f}' for w in walls)})")


if __name__ == "__main__":
    main()
