"""The script ``tunesmith app`` hands to ``streamlit run`` (the repository's app.py does the same)."""

from toolkit.ui.main import main

main()
