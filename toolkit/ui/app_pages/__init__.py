"""The editor's pages, one script each, run by ``st.navigation`` from :mod:`toolkit.ui.main`."""
