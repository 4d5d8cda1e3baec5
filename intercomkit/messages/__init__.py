"""Messages beyond the single request: ``{{ column }}`` templates, the bulk send and its log.

``client.messages`` (``intercomkit.resources.messages``) is the entry point; this package holds the parts.
"""

from ._payload import MESSAGE_TYPES, STYLES
from ._sendlog import SendLog
from ._templates import Template, parse_template

__all__ = ["MESSAGE_TYPES", "STYLES", "SendLog", "Template", "parse_template"]
