"""Home: the zoo's families, their models and published weights, and where the models run."""

import pandas as pd
import streamlit as st

import zoo
from demo_app import models

FAMILIES = {
    "mlp": ("Perceptrons and MLPs", "Digits", "A perceptron (no hidden layer) up to deep "
            "multi-layer perceptrons: dense layers on the flattened pixels."),
    "cnn": ("Convolutional networks", "Digits", "Convolution and pooling learn local features "
            "of the picture; their feature maps show what each layer responds to."),
    "char_rnn": ("Character RNNs", "Text", "Read text one character at a time and predict the "
                 "next one, so they can write more of it."),
    "translation": ("Encoder-decoder translation", "Translate", "An encoder reads the English "
                    "sentence, a decoder writes the Spanish one, looking back at the source "
                    "words through attention."),
    "captioning": ("Image captioning", "Caption", "A CNN encodes the picture, an LSTM writes the "
                   "sentence, attending to a different part of the picture for each word."),
    "autoencoder": ("Autoencoders", "Autoencoder", "Squeeze the picture through a small code "
                    "and rebuild it: features learned without any label."),
}
PAGES = {title: f"views/{title.lower()}.py"
         for title in ("Digits", "Text", "Translate", "Caption", "Autoencoder")}


st.title("zoo: a Keras 3 model zoo")
st.write("The classic deep-learning families, trained on real data, running live in this page. "
         "Pick a family in the menu to try its models; each page says what the model does.")

# -- the runtime ----------------------------------------------------------------------------------
st.subheader("Runtime")
info = models.runtime_info()
st.dataframe(pd.DataFrame({"": list(info), "value": list(info.values())}), hide_index=True)
st.caption("Each model is loaded once, when a page first needs it, and shared by every visitor.")

# -- the families and their weights ---------------------------------------------------------------
records = []
for name in models.available():
    try:
        records.append(models.record(name))
    except zoo.ZooError as err:
        st.warning(f"{name}: {err}")

for family, (title, page, text) in FAMILIES.items():
    with st.container(border=True):
        st.subheader(title)
        st.write(text)
        st.markdown("**Models:** " + ", ".join(f"`{m}`" for m in zoo.list_models(family=family)))
        rows, sources = [], {}
        for record in (r for r in records if r.get("family") == family):
            dataset = record.get("dataset") or {}
            rows.append({"weight": record["name"], "model": record["model"],
                         "headline figure": zoo.weights.headline_text(record),
                         "parameters": f"{record['num_params']:,}" if record.get("num_params")
                         else "",
                         "data": record["name"].split(".", 1)[-1]})
            if dataset.get("source_of_data"):
                about = dataset["source_of_data"] + (f" ({dataset['license']})"
                                                     if dataset.get("license") else "")
                sources.setdefault(about, []).append(record["name"])
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            for about, names in sources.items():
                st.caption(f"{', '.join(names)}: {about}")
        else:
            st.caption("No published weights for this family yet.")
        st.page_link(PAGES[page], label=f"Try it: {page}", icon=":material/arrow_forward:")
