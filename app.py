"""Streamlit entry point: `streamlit run app.py` (or `tunesmith app [FOLDER]`)."""

from toolkit.ui.main import main

if __name__ == "__main__":  # Streamlit runs this file as __main__; worker processes it spawns import it
    main()
