"""The demo's charts, in Altair (Streamlit draws them natively with ``st.altair_chart``)."""

import altair as alt
import numpy as np
import pandas as pd

VISIBLE = {" ": "␣ (space)", "\n": "⏎ (new line)", "\t": "⇥ (tab)"}
MAX_WRITTEN = 16  # source words up to which the attention chart writes each weight in its cell


def probabilities(labels, probs, *, title=None, height=220):
    """Vertical bars: the probability of each class, the most probable one highlighted."""
    probs = np.asarray(probs, dtype=float)
    frame = pd.DataFrame({"class": [str(c) for c in labels], "probability": probs,
                          "best": probs == probs.max()})
    chart = alt.Chart(frame, height=height, **({"title": title} if title else {}))
    return chart.mark_bar().encode(
        x=alt.X("class:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), title="probability"),
        color=alt.condition("datum.best", alt.value("#e4572e"), alt.value("#4c78a8")),
        tooltip=["class", alt.Tooltip("probability:Q", format=".4f")])


def shown_character(character):
    """A character as a chart label: white space and other invisible ones by a visible name."""
    if character in VISIBLE:
        return VISIBLE[character]
    return character if character.isprintable() and not character.isspace() else \
        f"U+{ord(character):04X}"


def next_characters(pairs):
    """Horizontal bars, a row of 26 px each: the most probable next characters, most probable
    on top, every one labelled (white space by name) and its probability written at its bar."""
    frame = pd.DataFrame({"character": [shown_character(c) for c, _ in pairs],
                          "probability": [p for _, p in pairs]})
    base = alt.Chart(frame, height=40 + 26 * len(frame)).encode(
        y=alt.Y("character:N", sort="-x", title="next character",
                axis=alt.Axis(labelOverlap=False, labelLimit=0, labelFontSize=14,
                              titleFontSize=13)),
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), title="probability",
                axis=alt.Axis(format="%", labelFontSize=12)),
        tooltip=["character", alt.Tooltip("probability:Q", format=".4f")])
    bars = base.mark_bar()
    values = base.mark_text(align="left", dx=4, fontSize=12).encode(
        text=alt.Text("probability:Q", format=".1%"))
    return bars + values


def attention(weights, source_tokens, target_tokens):
    """A heatmap of attention weights: source words across, target words down."""
    weights = np.asarray(weights, dtype=float)
    rows = [{"source": f"{j + 1}. {s}", "target": f"{i + 1}. {t}", "weight": float(weights[i, j])}
            for i, t in enumerate(target_tokens) for j, s in enumerate(source_tokens)]
    frame = pd.DataFrame(rows)
    sources = [f"{j + 1}. {s}" for j, s in enumerate(source_tokens)]
    targets = [f"{i + 1}. {t}" for i, t in enumerate(target_tokens)]
    # Every word labelled: Vega's default overlap rule (parity) drops every other label of a
    # long sentence, and its length limit cuts long words
    slant = -40 if len(source_tokens) <= 12 else -65
    base = alt.Chart(frame).encode(
        x=alt.X("source:N", sort=sources, title="English (source)",
                axis=alt.Axis(labelAngle=slant, orient="top", labelOverlap=False, labelLimit=0,
                              labelFontSize=11)),
        y=alt.Y("target:N", sort=targets, title="Spanish (written)",
                axis=alt.Axis(labelOverlap=False, labelLimit=0, labelFontSize=11)))
    cells = base.mark_rect().encode(
        color=alt.Color("weight:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        title="attention",
                        legend=alt.Legend(gradientLength=max(50, 30 * len(target_tokens) - 30))),
        tooltip=["target", "source", alt.Tooltip("weight:Q", format=".3f")])
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("weight:Q", format=".2f"),
        color=alt.condition("datum.weight > 0.5", alt.value("white"), alt.value("black")))
    # the height holds the rows and the slanted words above them (Streamlit fits the width); the
    # weights are written in the cells while they fit there (else in each cell's tooltip)
    longest = max((len(f"{j + 1}. {s}") for j, s in enumerate(source_tokens)), default=0)
    chart = cells + labels if len(source_tokens) <= MAX_WRITTEN else cells
    return chart.properties(height=60 + 7 * longest + 30 * len(target_tokens))


def code_vector(code, *, chosen=None, height=200):
    """Bars: the activation of each code unit, the chosen unit highlighted."""
    code = np.asarray(code, dtype=float).reshape(-1)
    frame = pd.DataFrame({"unit": np.arange(len(code)), "activation": code,
                          "chosen": np.arange(len(code)) == (-1 if chosen is None else chosen)})
    return alt.Chart(frame, height=height).mark_bar().encode(
        x=alt.X("unit:O", title="code unit", axis=alt.Axis(labels=len(code) <= 64)),
        y=alt.Y("activation:Q", title="activation"),
        color=alt.condition("datum.chosen", alt.value("#e4572e"), alt.value("#4c78a8")),
        tooltip=["unit", alt.Tooltip("activation:Q", format=".4f")])
