import pytest

from intercomkit.errors import InvalidMessage, NotFound, SendError

pytestmark = pytest.mark.anyio


async def test_send_in_app_follows_the_spec(sb, client, admin_id):
    cid = sb.contact_ids()[0]
    role = sb.get_contact(cid)["role"]
    message = await client.messages.send(from_admin=admin_id, to=cid, body="Hello")
    assert message.id == sb.messages[0]["id"]
    sent = {k: v for k, v in sb.messages[0].items() if k not in ("id", "created_at")}
    assert sent == {
        "message_type": "inapp",  # the description's examples and Intercom's SDKs; its enum says in_app
        "body": "Hello",
        "from": {"type": "admin", "id": int(admin_id)},
        "to": {"type": role, "id": cid},
    }
    # either spelling from the user; Intercom's own spelling on the wire and in the answer
    again = await client.messages.send(from_admin=admin_id, to=cid, body="Hi", message_type="in_app")
    assert sb.messages[1]["message_type"] == "inapp" and again.raw["message_type"] == "inapp"


async def test_send_email_to_a_contact_object_uses_its_role(sb, client, admin_id):
    contact = await client.contacts.get(sb.contact_ids()[1])
    before = sb.request_count
    await client.messages.send(
        from_admin=admin_id, to=contact, body="B", subject="S", message_type="email", template="personal"
    )
    assert sb.request_count == before + 1  # no lookup: the role came with the contact
    assert sb.messages[0]["template"] == "personal"
    assert sb.messages[0]["to"]["type"] == contact.role


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"message_type": "email"}, "subject"),
        ({"message_type": "email", "subject": "  "}, "subject"),
        ({"message_type": "email", "subject": "s", "template": "fancy"}, "template"),
        ({"message_type": "in-app"}, "write 'inapp'"),
        ({"message_type": "in_app", "subject": "s"}, "only used by emails"),
        ({"template": "plain"}, "only used by emails"),
        ({"body": "  "}, "empty"),
    ],
)
async def test_bad_combinations_fail_before_any_request(sb, client, admin_id, kw, words):
    before = sb.request_count
    args = {"from_admin": admin_id, "to": {"id": sb.contact_ids()[0], "role": "user"}, "body": "x", **kw}
    with pytest.raises(InvalidMessage, match=words):
        await client.messages.send(**args)
    assert sb.request_count == before


async def test_contact_id_as_sender_is_named(sb, client):
    cid = sb.contact_ids()[0]
    with pytest.raises(SendError, match="contact id"):
        await client.messages.send(from_admin=cid, to=cid, body="x")
    assert sb.messages == []


async def test_unknown_admin_404_becomes_send_error(sb, client):
    with pytest.raises(SendError, match="must be an admin"):
        await client.messages.send(from_admin=12345, to={"id": sb.contact_ids()[0], "role": "user"}, body="x")


async def test_unknown_contact_is_not_found(sb, client, admin_id):
    with pytest.raises(NotFound, match="contact"):
        await client.messages.send(from_admin=admin_id, to={"id": "f" * 24, "role": "user"}, body="x")
