"""GET /data_attributes: the workspace's contact and company attributes, standard and custom.

"You can fetch a list of all data attributes belonging to a workspace for contacts or companies." Custom
attributes are the ones the generated records carry plus any first written through the API.
"""

from __future__ import annotations

from ._data import START
from ._errors import SandboxAPIError
from ._http import Request, Response, json_response

__all__ = ["register"]

# (name, data_type, label) of the standard attributes the sandbox's records have.
_STANDARD = {
    "contact": (
        ("id", "string", "ID"),
        ("external_id", "string", "User ID"),
        ("role", "string", "Role"),
        ("name", "string", "Name"),
        ("email", "string", "Email"),
        ("phone", "string", "Phone"),
        ("owner_id", "integer", "Owner"),
        ("created_at", "date", "Created at"),
        ("signed_up_at", "date", "Signed up"),
        ("updated_at", "date", "Updated at"),
        ("last_seen_at", "date", "Last seen"),
        ("unsubscribed_from_emails", "boolean", "Unsubscribed from emails"),
        ("location.country", "string", "Country"),
        ("location.city", "string", "City"),
    ),
    "company": (
        ("id", "string", "ID"),
        ("company_id", "string", "Company ID"),
        ("name", "string", "Company name"),
        ("created_at", "date", "Created at"),
        ("remote_created_at", "date", "Company created at"),
        ("last_request_at", "date", "Company last seen"),
        ("user_count", "integer", "People"),
        ("session_count", "integer", "Company web sessions"),
        ("monthly_spend", "float", "Monthly Spend"),
        ("size", "integer", "Company size"),
        ("website", "string", "Company website"),
        ("industry", "string", "Company industry"),
        ("plan.name", "string", "Plan"),
    ),
}


def _standard(model: str, name: str, data_type: str, label: str) -> dict:
    return {
        "type": "data_attribute",
        "name": name.rsplit(".", 1)[-1],
        "full_name": name,
        "label": label,
        "description": label,
        "data_type": data_type,
        "api_writable": False,
        "ui_writable": False,
        "messenger_writable": False,
        "custom": False,
        "archived": False,
        "model": model,
    }


def _custom(model: str, number: int, name: str, data_type: str, admin_id: str) -> dict:
    return {
        "type": "data_attribute",
        "id": 10_000 + number,
        "name": name,
        "full_name": f"custom_attributes.{name}",
        "label": name,
        "description": "",
        "data_type": data_type,
        "api_writable": True,
        "ui_writable": True,
        "messenger_writable": False,
        "custom": True,
        "archived": False,
        "admin_id": admin_id,
        "created_at": START,
        "updated_at": START,
        "model": model,
    }


def list_data_attributes(req: Request) -> Response:
    store = req.sandbox._store
    model = req.query.get("model")
    if model == "conversation":
        # "model=conversation returns a 422 error. Use GET /conversations/attributes instead."
        raise SandboxAPIError(
            422, "parameter_invalid", "Use GET /conversations/attributes for conversation attributes"
        )
    if model not in (None, "", "contact", "company"):
        raise SandboxAPIError(400, "parameter_invalid", "model must be 'contact' or 'company'", field="model")
    models = [model] if model else ["contact", "company"]
    admin_id = store.ws.admin_ids[0]
    data = []
    for m in models:
        data += [_standard(m, *attr) for attr in _STANDARD[m]]
        custom = store.custom_attributes[m]
        offset = 0 if m == "contact" else 5_000
        data += [_custom(m, offset + k, n, t, admin_id) for k, (n, t) in enumerate(custom.items())]
    return json_response({"type": "list", "data": data})


def register(router) -> None:
    router.add("GET", "/data_attributes", list_data_attributes)
