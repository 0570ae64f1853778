"""The zoo's Streamlit demo: ``streamlit run demo_app/app.py`` (see ``scripts/run_demo.sh``)."""
