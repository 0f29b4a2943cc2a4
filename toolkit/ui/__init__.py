"""The Streamlit editor (``tunesmith app``): thin pages over :mod:`toolkit.edit`, stats, fix and training.

Nothing outside this package imports streamlit; ``main.main()`` is the entry point.
"""
