import pytest

from intercomkit.errors import AuthenticationRequired
from intercomkit.notebook import send_message_form

pytestmark = pytest.mark.anyio


async def _ready(client, **kw):
    form = send_message_form(client=client, **kw)
    await form.wait_idle()
    return form


async def test_returns_before_admins_load(client):
    form = send_message_form(client=client)
    assert form.admin.disabled  # nothing awaited yet
    await form.wait_idle()
    assert not form.admin.disabled
    assert len(form.admin.options) == 3


async def test_search_preview_send_confirm_sends_exactly_once(sb, client, admin_id):
    contact = sb.get_contact(sb.contact_ids()[4])
    form = await _ready(client)
    form.admin.value = admin_id
    form.search.value = contact["email"]
    await form.wait_idle()
    assert form.contact["id"] == contact["id"]
    form.body.value = 'Hi {{ name | "there" }} in {{ location.city | "your city" }}'
    assert contact["name"] in form.preview.value or "there" in form.preview.value
    assert "{{" not in form.preview.value

    form.send_button.click()
    assert sb.messages == []  # Send only asks for confirmation
    assert form.confirm_button.layout.display is None
    form.confirm_button.click()
    form.confirm_button.click()  # a double click must not send twice
    await form.wait_idle()

    assert len(sb.messages) == 1
    sent = sb.messages[0]
    assert sent["to"] == {"type": contact["role"], "id": contact["id"]}
    assert sent["from"] == {"type": "admin", "id": int(admin_id)}
    assert sent["message_type"] == "inapp"  # what Intercom's own clients send (see messages/_payload.py)
    assert sent["body"].startswith("Hi ")
    assert "{{" not in sent["body"]
    assert sent["id"] in form.result.value
    assert "not a conversation id" in form.result.value


async def test_cancel_and_edit_withdraw_the_confirmation(sb, client, admin_id):
    form = await _ready(client)
    form.admin.value = admin_id
    form.search.value = "a"
    await form.wait_idle()
    form.body.value = "Hello"
    form.send_button.click()
    form.cancel_button.click()
    form.confirm_button.click()
    form.send_button.click()
    form.body.value = "Hello again"  # editing after Send needs a new Send
    form.confirm_button.click()
    await form.wait_idle()
    assert sb.messages == []


async def test_email_without_subject_is_refused_in_plain_words(sb, client, admin_id):
    form = await _ready(client)
    form.admin.value = admin_id
    form.search.value = "a"
    await form.wait_idle()
    form.message_type.value = "email"
    assert form.subject.layout.display is None
    form.body.value = "Hello"
    form.send_button.click()
    assert "subject" in form.result.value
    assert form.confirm_button.layout.display == "none"
    form.subject.value = "News for {{ name }}"
    form.send_button.click()
    form.confirm_button.click()
    await form.wait_idle()
    assert len(sb.messages) == 1
    assert sb.messages[0]["message_type"] == "email"
    assert sb.messages[0]["template"] == "plain"
    assert sb.messages[0]["subject"].startswith("News for ")


async def test_recipient_from_a_dataframe(sb, client, admin_id):
    frame = (await client.contacts.list().frame()).head(5)
    form = await _ready(client, contacts=frame)
    assert len(form.recipient.options) == 5
    target = frame.iloc[3]
    form.search.value = target["email"]
    assert form.contact["id"] == target["id"]
    form.admin.value = admin_id
    form.body.value = "Hi {{ name }}"
    assert "{{" not in form.preview.value
    form.send_button.click()
    form.confirm_button.click()
    await form.wait_idle()
    assert [m["to"]["id"] for m in sb.messages] == [target["id"]]


async def test_template_problem_shows_in_preview_and_blocks_send(sb, client, admin_id):
    form = await _ready(client)
    form.admin.value = admin_id
    form.search.value = "a"
    await form.wait_idle()
    form.body.value = "Hi {{ nickname }}"
    assert "nickname" in form.preview.value
    form.send_button.click()
    assert "Not sent" in form.result.value
    form.confirm_button.click()
    await form.wait_idle()
    assert sb.messages == []


async def test_api_error_is_shown_not_raised(sb, client):
    form = await _ready(client)
    form.admin.options = [("ghost", "12345")]  # not an admin of this workspace
    form.admin.value = "12345"
    form.search.value = "a"
    await form.wait_idle()
    form.body.value = "Hi"
    form.send_button.click()
    form.confirm_button.click()
    await form.wait_idle()
    assert "admin" in form.result.value and "Not sent" in form.result.value
    assert sb.messages == []


def test_no_connection_raises_authentication_required(monkeypatch, tmp_path):
    from intercomkit import _session

    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("INTERCOMKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setattr(_session.SESSION, "_default", None)
    with pytest.raises(AuthenticationRequired):
        send_message_form()
