"""An OpenAI-compatible fine-tuning sandbox on 127.0.0.1: files, uploads, jobs and chat, in memory.

``tunesmith sandbox`` runs it from the command line; tests use ``Sandbox`` directly::

    with Sandbox(speed=20) as sandbox:
        client = OpenAI(base_url=sandbox.base_url, api_key="sandbox")
"""

from .faults import Fault
from .server import Sandbox

__all__ = ["Fault", "Sandbox"]
