"""Streamlit entry point: `streamlit run app.py` (or `tunesmith app [FOLDER]`)."""

from toolkit.ui.main import main

main()
