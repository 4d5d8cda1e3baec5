"""Jupyter widgets. Each returns at once; client calls run in the background (see ``_tasks``)."""

from .._bridge import allow_nested
from ._connect import ConnectWidget, client, connect
from ._send_form import SendMessageForm, send_message_form

__all__ = [
    "ConnectWidget",
    "SendMessageForm",
    "allow_nested",
    "client",
    "connect",
    "send_message_form",
]
