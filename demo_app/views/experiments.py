"""Experiments: the explainer's arguments measured, the full runs shipped with the package, and
their quick versions rerun live."""

import threading

import pandas as pd
import streamlit as st

import zoo
from zoo import experiments
from demo_app import samples

_RUNNING = threading.Lock()  # one live run at a time: training takes the whole CPU


@st.cache_data(show_spinner=False, max_entries=20)
def quick_result(name, seed, folder):
    """The quick version's result, computed once per (experiment, seed) for every visitor."""
    with _RUNNING:
        return experiments.run(name, quick=True, data_dir=folder, seed=seed)


def show(result, plot_image=None):
    if plot_image is not None:
        st.image(str(plot_image))
    else:
        st.pyplot(experiments.plot(result), clear_figure=True)
    checks = pd.DataFrame({"expected effect": list(result["holds"]),
                           "seen": ["yes" if v else "no" for v in result["holds"].values()]})
    st.dataframe(checks, hide_index=True)
    figures = pd.DataFrame({"figure": list(result["figures"]),
                            "value": [f"{v:.4g}" if isinstance(v, float) else str(v)
                                      for v in result["figures"].values()]})
    with st.expander("Figures"):
        st.dataframe(figures, hide_index=True)
    data = result["data"]
    st.caption(f"{data['train']:,} training and {data['test']:,} held-out test digits "
               f"({data['source']}; {data['license']}); seed {result['seed']}; "
               f"{result['wall_seconds']:,.0f} s on {result['machine']['cpus']} CPU cores, load "
               f"average {result['load_average'][0]} at the start. Command: "
               f"`{result['command']}`.")


st.title("Experiments")
st.write("The classic arguments of deep learning, each measured on real MNIST digits: why deep "
         "networks were hard to train, what dropout does, whether depth helps, how performance "
         "grows with data, and what happens when a trained classifier must learn a new class. "
         "The full runs ship with the package; the quick version reruns live in this page.")

names = experiments.list_experiments()
titles = {n: experiments.describe(n)["title"] for n in names}
name = st.selectbox("Experiment", names, format_func=titles.get, key="experiment", width=480)
info = experiments.describe(name)
st.info(info["claim"])
doc = experiments.module(name).__doc__ or ""
with st.expander("How it is measured"):
    st.markdown(doc.split("\n\n", 1)[-1])

full, live = st.tabs(["Full run (shipped)", "Quick version (live)"])
with full:
    result = experiments.shipped(name)
    if result is None:
        st.warning("No full run ships for this experiment; make one with "
                   "`python scripts/run_experiments.py --data-dir DIR " + name + "`.")
    else:
        show(result, experiments.shipped_plot(name))
with live:
    folder = samples.mnist_folder()
    settings = ", ".join(f"{k}={v}" for k, v in info["quick"].items())
    st.write(f"At most 600 training and 200 test digits, with smaller settings ({settings}). "
             "A run takes from about 15 seconds to a minute or two on 2 CPU cores; its result "
             "is kept for every visitor.")
    if folder is None:
        st.warning("No MNIST files found; fetch them with `python scripts/fetch_data.py mnist "
                   "--out data`.")
    else:
        seed = st.number_input("Seed", 0, 10_000, 0, key="seed", width=200)
        if st.button("Run the quick version", key="run", type="primary"):
            st.session_state[f"ran_{name}"] = int(seed)
        if f"ran_{name}" in st.session_state:
            with st.spinner("Training... (another visitor's run finishes first)"):
                try:
                    result = quick_result(name, st.session_state[f"ran_{name}"], str(folder))
                except zoo.ZooError as err:
                    st.error(str(err))
                    st.stop()
            show(result)
