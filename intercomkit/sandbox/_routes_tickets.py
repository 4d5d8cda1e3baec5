"""/tickets: search and get; /ticket_types."""

from __future__ import annotations

from ._http import Request, Response, json_response
from ._routes_conversations import search_page
from ._search_support import TICKETS

__all__ = ["register"]

SORTABLE = frozenset({"created_at", "updated_at"})


def search_tickets(req: Request) -> Response:
    records, total, pages = search_page(req, req.sandbox._tickets, TICKETS, SORTABLE)
    return json_response({"type": "ticket.list", "tickets": records, "total_count": total, "pages": pages})


def get_ticket(req: Request) -> Response:
    tickets = req.sandbox._tickets
    return json_response(tickets.record(tickets.require(req.path_params["id"])))


def list_ticket_types(req: Request) -> Response:
    return json_response({"type": "list", "data": req.sandbox._support.ticket_types})


def register(router) -> None:
    router.add("POST", "/tickets/search", search_tickets)
    router.add("GET", "/tickets/{id}", get_ticket)
    router.add("GET", "/ticket_types", list_ticket_types)
