"""The script ``tunesmith app`` hands to ``streamlit run`` (the repository's app.py does the same)."""

from toolkit.ui.main import main

if __name__ == "__main__":  # Streamlit runs this file as __main__; worker processes it spawns import it
    main()
