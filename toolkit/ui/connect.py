"""The provider connection of the Train and Playground pages.

Credentials come from the environment, or from a key typed into the page: that key is
moved out of the input at once into ``st.session_state["conn_secret"]`` (this browser
session only), is never shown back, logged or written anywhere, and errors are scrubbed of it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import streamlit as st

from toolkit import catalog
from toolkit.errors import ToolkitError
from toolkit.training.errors import api_errors
from toolkit.training.providers import Connection, connection, make_client
from toolkit.ui import state, widgets


def needs(provider: str) -> str:
    """What to set up to connect to ``provider``, from its profile in the catalog."""
    api = catalog.provider(provider).api
    key = api.key_env + (f" (or a token in {api.token_env})" if api.token_env else "")
    optional = [v for v in (api.api_version_env, api.org_env, api.project_env) if v]
    if api.default_url:
        other = " for another compatible server" if api.compatible_endpoints else ""
        text = f"Type an API key in the API key field above (and an endpoint{other}), or set {key}"
    else:
        text = f"Type the endpoint and a key in the fields above, or set {api.url_env} and {key}"
    text += " in the environment before starting tunesmith app" + (
        f" ({', '.join(optional)} optional)." if optional else ".")
    if api.compatible_endpoints:
        text += " To try it locally, run tunesmith sandbox and type its URL in the Endpoint field with any key."
    return text


_CLI_ONLY = re.compile(r",? ?(or )?in the file given to --env-file")


def _use_key() -> None:
    typed = st.session_state.get("conn_key") or ""
    st.session_state["conn_key"] = ""  # the input never holds (or shows) the key after this
    if typed.strip():
        st.session_state["conn_secret"] = typed.strip()


def _forget_key() -> None:
    st.session_state["conn_secret"] = None
    st.session_state["conn_client"] = None


def current() -> Connection | None:
    """The connection the environment and the page's inputs describe (None, with the reason, when incomplete)."""
    provider = state.provider()
    env = dict(os.environ)
    secret = st.session_state.get("conn_secret")
    if secret:
        env[catalog.provider(provider).api.key_env] = secret
    base = (st.session_state.get("conn_base_url") or "").strip() or None
    try:
        conn = connection(provider, base_url=base, environ=env)
    except ToolkitError as exc:
        st.session_state["conn_problem"] = str(exc)
        return None
    st.session_state["conn_problem"] = None
    return conn


def client(conn: Connection) -> Any:
    """One SDK client per connection for the whole session."""
    cached = st.session_state.get("conn_client")
    if cached is None or cached[0] != conn:
        cached = (conn, make_client(conn))
        st.session_state["conn_client"] = cached
    return cached[1]


def guarded(conn: Connection) -> Any:
    """Turn SDK errors into clear messages without secrets (use as ``with guarded(conn):``)."""
    return api_errors(secrets=conn.secrets, host=conn.host)


def _this_machine() -> tuple[Connection, Any] | None:
    """A provider with no endpoint or key (``local``): the client, or why it cannot run here."""
    conn = current()
    try:
        made = client(conn) if conn is not None else None
    except ToolkitError as exc:
        widgets.alert("warning", str(exc))
        return None
    st.caption("Training and answers run on this machine (the GPU when there is one); nothing is uploaded.")
    return None if conn is None or made is None else (conn, made)


def panel() -> tuple[Connection, Any] | None:
    """The connection settings; the connection and its client when they are complete."""
    provider = state.provider()
    api = catalog.provider(provider).api
    if api.local:  # this machine: nothing to set up
        return _this_machine()
    conn = current()
    with st.expander(f"Connection to {provider}: " + (conn.host if conn else "not set up"), expanded=conn is None):
        default = os.environ.get(api.url_env) or api.default_url
        st.text_input("Endpoint (base URL)", key="conn_base_url", persist_state="session", placeholder=default or "https://…",
                      help=f"empty: {api.url_env} from the environment" + (
                          f", else {api.default_url}" if api.default_url else ""))
        if st.session_state.get("conn_secret"):
            st.caption("An API key typed in this session is in use. It is never shown, logged or saved.")
            st.button("Forget the key", key="conn_forget", on_click=_forget_key)
        else:
            # a form: its button sends the key as typed. A bare password input does not send it when the focus
            # leaves it for its own "Show password" eye (Tab), so a plain button would read the last key sent.
            with st.form("conn_key_form", border=False, enter_to_submit=True):
                st.text_input("API key (kept in this browser session only)", key="conn_key", type="password",
                              help=f"empty: {api.key_env} from the environment")
                st.form_submit_button("Use this key", key="conn_use", on_click=_use_key)
        if conn is None:
            widgets.alert("warning", needs(provider))
            problem = _CLI_ONLY.sub("", st.session_state.get("conn_problem") or "")
            title = catalog.provider(provider).title
            st.caption(widgets.md(problem.replace(f"--provider {provider} needs", f"{title} needs")))
    if conn is None:
        return None
    return conn, client(conn)
