"""The editor's entry point: session set-up once, the target model in the sidebar, then the page router.

``streamlit run app.py -- --workspace FOLDER`` or ``tunesmith app FOLDER``; the workspace
is also read from ``$TUNESMITH_WORKSPACE`` and defaults to the current folder.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from toolkit import catalog
from toolkit.ui import state

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
# url path -> (file, title, icon)
PAGE_FILES = {
    "dataset": ("dataset.py", "Dataset", ":material/table_view:"),
    "record": ("record.py", "Record editor", ":material/edit_note:"),
    "statistics": ("statistics.py", "Statistics", ":material/bar_chart:"),
    "import": ("importer.py", "Import", ":material/upload_file:"),
    "train": ("train.py", "Train", ":material/model_training:"),
    "playground": ("playground.py", "Playground", ":material/forum:"),
}
PAGES: dict[str, st.Page] = {}  # filled on every run; pages use it to switch to one another


def workspace_folder(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> str:
    """``--workspace FOLDER`` from the script arguments, else ``$TUNESMITH_WORKSPACE``, else the current folder."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--workspace" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--workspace="):
            return arg.split("=", 1)[1]
    env = os.environ if environ is None else environ
    return env.get(state.WORKSPACE_ENV) or os.getcwd()


def _sidebar() -> None:
    with st.sidebar:
        st.selectbox("Provider", catalog.PROVIDERS, key="ws_provider", persist_state="session",
                     help="The provider the files are linted, counted and trained for.")
        default = catalog.provider(st.session_state["ws_provider"]).default_model
        names = [state.AUTO_MODEL] + [m.name for m in catalog.models(st.session_state["ws_provider"])]
        config = state.configured()
        if config.model and config.model not in names and config.provider == st.session_state["ws_provider"]:
            names.append(config.model)  # the project's model ([tool.tunesmith]), an alias or one newer than the catalog
        if st.session_state.get("ws_model") not in names:
            st.session_state["ws_model"] = state.AUTO_MODEL
        st.selectbox("Model", names, key="ws_model", persist_state="session",
                     help=f"{state.AUTO_MODEL}: {default}, or the first model that trains the file's format.")
        ws = state.workspace()
        st.caption("Workspace")
        st.text(str(ws.root))
        ds = state.dataset()
        if ds is not None:
            st.caption("Open dataset")
            st.text(ws.relative(ds.path) + ("  (unsaved changes)" if ds.modified else ""))


@functools.cache
def _icon() -> Any:
    """The page icon, drawn here: a material or emoji icon would be fetched from a font or emoji host (offline)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 62, 62), radius=14, fill=(255, 75, 75, 255))
    for x, knob in ((18, 40), (32, 20), (46, 34)):  # three sliders: tuning
        draw.line((x, 12, x, 52), fill=(255, 255, 255, 255), width=4)
        draw.ellipse((x - 7, knob - 7, x + 7, knob + 7), fill=(255, 255, 255, 255))
    return image


def main() -> None:
    """Run one script pass of the editor."""
    st.set_page_config(page_title="Tunesmith", page_icon=_icon(), layout="wide")
    state.new_run()
    state.init(workspace_folder())
    state.remember()
    PAGES.clear()
    for url, (file, title, icon) in PAGE_FILES.items():
        PAGES[url] = st.Page(PAGES_DIR / file, title=title, icon=icon, url_path=url, default=url == "dataset")
    page = st.navigation(list(PAGES.values()))
    _sidebar()
    try:
        page.run()
    finally:
        state.page_drawn()
