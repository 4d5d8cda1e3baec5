"""Intercom webhooks: verify signatures, parse typed events, route them to handlers, receive them over ASGI.

router = Router(secret=client_secret, log="events.jsonl")

@router.on("company.created", "contact.*.updated")
async def sync(event): ...

url, stop = serve_in_thread(router)      # or: serve(router, port=8000); or mount router.app
"""

from ._app import WebhookApp
from ._events import CompanyEvent, ContactEvent, Event, PingEvent, UnknownEvent, construct_event, parse_event
from ._frame import events_frame
from ._log import read_log
from ._receiver import Receiver
from ._router import Router, topic_matches
from ._serve import serve, serve_in_thread
from ._verify import SIGNATURE_HEADER, sign, verify

__all__ = [
    "SIGNATURE_HEADER",
    "CompanyEvent",
    "ContactEvent",
    "Event",
    "PingEvent",
    "Receiver",
    "Router",
    "UnknownEvent",
    "WebhookApp",
    "construct_event",
    "events_frame",
    "parse_event",
    "read_log",
    "serve",
    "serve_in_thread",
    "sign",
    "topic_matches",
    "verify",
]
