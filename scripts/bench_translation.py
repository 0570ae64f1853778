"""How fast a translator decodes: compiled batched search vs a per-token ``model.predict`` loop.

The per-token loop is the way keras.io's sequence-to-sequence examples translate: call the
teacher-forcing model on the target prefix, take the last position's most probable token, append
it, call the model again. :mod:`zoo.decoding` instead runs the encoder once and a compiled
``while_loop`` over the decoder's step function for a whole batch of sentences.

Usage:
    python scripts/bench_translation.py MODEL_DIR PAIRS.tsv [--sentences 256] [--batch-size 64]

Prints sentences per second for: compiled greedy, compiled beam search (width 4), the
``model.predict`` loop for greedy decoding, and a beam search built on the same loop; and
whether the compiled and the loop searches write the same tokens. The timed passes follow a
first, untimed pass over the same sentences: TensorFlow traces the compiled loops again for
new batch shapes until it relaxes them (twice at most), and that first pass's time is printed
separately.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo.data.translation import read_pairs  # noqa: E402
from zoo.decoding import gnmt_length_penalty  # noqa: E402


def predict_loop_greedy(model, source_ids, *, bos, eos, max_length):
    """Greedy decoding by calling the full model on the growing prefix (keras.io style)."""
    batch = len(source_ids)
    prefix = np.full((batch, 1), bos, dtype="int32")
    done = np.zeros(batch, dtype=bool)
    for _ in range(max_length):
        logits = model.predict([source_ids, prefix], verbose=0)
        token = np.where(done, 0, logits[:, -1].argmax(axis=-1)).astype("int32")
        prefix = np.concatenate([prefix, token[:, None]], axis=1)
        done |= token == eos
        if done.all():
            break
    return prefix[:, 1:]


def predict_loop_beam(model, source_ids, *, bos, eos, max_length, beam_width, alpha):
    """Beam search over the same per-token ``model.predict`` calls, one sentence at a time."""
    results = []
    for row in source_ids:
        alive = [([], 0.0)]
        finished = []
        for t in range(max_length):
            prefixes = np.array([[bos] + tokens for tokens, _ in alive], dtype="int32")
            sources = np.repeat(row[None], len(alive), axis=0)
            logits = model.predict([sources, prefixes], verbose=0)[:, -1].astype("float64")
            log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(
                -1, keepdims=True)) - logits.max(-1, keepdims=True)
            candidates = []
            for (tokens, score), lp in zip(alive, log_probs):
                for token in np.argsort(-lp)[:2 * beam_width]:
                    candidates.append((tokens + [int(token)], score + lp[token]))
            candidates.sort(key=lambda c: -c[1])
            alive = []
            for tokens, score in candidates[:2 * beam_width]:
                if tokens[-1] == eos:
                    finished.append((tokens, score / gnmt_length_penalty(t + 1, alpha)))
                elif len(alive) < beam_width:
                    alive.append((tokens, score))
            finished = sorted(finished, key=lambda c: -c[1])[:beam_width]
            if not alive or (len(finished) == beam_width and finished[-1][1] >= alive[0][1] /
                             max(gnmt_length_penalty(t + 2, alpha),
                                 gnmt_length_penalty(max_length, alpha))):
                break
        best = finished[0][0] if finished else alive[0][0]
        results.append(best)
    return results


def rate(function, count, repeats=1):
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    return count * repeats / (time.perf_counter() - started)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", help="a trained translator (`zoo train --out` directory)")
    parser.add_argument("pairs", help="a TSV file of pairs; its source sentences are translated")
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--loop-sentences", type=int, default=64,
                        help="sentences for the (slow) predict loops")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--length-penalty", type=float, default=0.6)
    args = parser.parse_args(argv)

    translator = zoo.load(args.model_dir)
    limit = translator.max_tokens
    sources = [s for s, _ in read_pairs(args.pairs).pairs
               if 0 < len(translator.source_tokens(s)) <= limit][:args.sentences]
    max_length = 2 * limit
    bos, eos = translator.target_vocab.bos_id, translator.target_vocab.eos_id
    print(f"{args.model_dir}: {translator.config['model']}, "
          f"{translator.model.count_params():,} parameters; {len(sources)} sentences from "
          f"{args.pairs}; batch {args.batch_size}, max {max_length} tokens")

    def compiled(method, texts):
        return translator.translate(texts, method=method, beam_width=args.beam,
                                    length_penalty=args.length_penalty, max_length=max_length,
                                    batch_size=args.batch_size, details=True)

    for method in ("greedy", "beam"):  # compile, for every batch shape (see the docstring)
        started = time.perf_counter()
        compiled(method, sources)
        print(f"first {method} pass (compiling): {time.perf_counter() - started:.1f} s")
    greedy_rate = rate(lambda: compiled("greedy", sources), len(sources))
    beam_rate = rate(lambda: compiled("beam", sources), len(sources))
    print(f"compiled greedy, batched:          {greedy_rate:8.1f} sentences/s")
    print(f"compiled beam {args.beam}, batched:          {beam_rate:8.1f} sentences/s")

    few = sources[:args.loop_sentences]
    ids = [translator._source_ids([translator.source_tokens(s)]) for s in few]
    width = max(i.shape[1] for i in ids)
    source_ids = np.zeros((len(few), width), dtype="int32")
    for row, one in enumerate(ids):
        source_ids[row, :one.shape[1]] = one[0]
    model = translator.model
    for rows in (2, 3):  # warm up predict (it retraces for new shapes, then relaxes them)
        predict_loop_greedy(model, source_ids[:rows, :width - rows + 2], bos=bos, eos=eos,
                            max_length=4)
    loop_tokens = []

    def loop_greedy():
        loop_tokens.clear()
        for start in range(0, len(few), args.batch_size):
            loop_tokens.extend(predict_loop_greedy(model, source_ids[start:start + args.batch_size],
                                                   bos=bos, eos=eos, max_length=max_length))

    loop_rate = rate(loop_greedy, len(few))
    print(f"model.predict loop, greedy, batched: {loop_rate:6.1f} sentences/s "
          f"({greedy_rate / loop_rate:.0f}x slower than compiled)")
    ours = compiled("greedy", few)
    same = sum(list(r.tokens) == [translator.target_vocab.tokens[i] for i in t if i not in
                                  (0, eos)] for r, t in zip(ours, loop_tokens))
    print(f"  same greedy tokens as compiled: {same} of {len(few)}")

    beam_few = few[:max(1, args.loop_sentences // 4)]
    beam_out = []
    beam_loop_rate = rate(lambda: beam_out.extend(predict_loop_beam(
        model, source_ids[:len(beam_few)], bos=bos, eos=eos, max_length=max_length,
        beam_width=args.beam, alpha=args.length_penalty)), len(beam_few))
    print(f"model.predict loop, beam {args.beam}, per sentence: {beam_loop_rate:5.2f} sentences/s "
          f"({beam_rate / beam_loop_rate:.0f}x slower than compiled)")
    ours = compiled("beam", beam_few)
    same = sum(list(r.tokens) == [translator.target_vocab.tokens[i] for i in t if i != eos]
               for r, t in zip(ours, beam_out))
    print(f"  same beam tokens as compiled: {same} of {len(beam_few)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
