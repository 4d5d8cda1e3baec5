"""One page of a search, from the response's bytes to the part's rows and what the walk needs to know: contacts
(``read_page``, with the fast path below) and the other searches (``dict_reader``: conversations, tickets).

Decoding a page into Python dicts and building typed columns from them holds the GIL for most of an export's CPU
time, so a concurrent export tops out at one core. The fast path hands the bytes to pyarrow's JSON reader instead:
it parses straight into Arrow columns in C++ without the GIL (run in a worker thread, it uses a second core while
the event loop keeps the requests flowing), with an explicit schema so unknown fields are skipped, not built.

The fast path only takes pages it can read exactly as the dict path would (``_columns`` + ``items_table``). Anything
else, such as a number where text belongs, a float timestamp, a null in a list, a nested custom attribute or
invalid UTF-8, makes it return None, and the page goes through the dict path, whose cleaning rules are the
reference. Tests hold the two paths equal on sandbox pages and on generated pages.

Custom attributes differ from contact to contact, so they are not in the schema: each contact's
``"custom_attributes":{...}`` text is cut from the body (below) and kept as the part's JSON column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .._columns import BOOL, CONTACTS, LIST, MAX_TIMESTAMP, SCHEMAS, STRING, TIMESTAMP
from .._frames import ARROW_TYPES
from .._protocol.pages import items_at
from .._protocol.responses import decipher
from ._rows import PageRows
from ._sinks import CUSTOM, _decode, items_table

try:  # the ``fast`` extra: a typed decoder, ~2.5x cheaper than pyarrow's JSON reader on a contacts page
    from ._typed_page import read_typed
except ImportError:  # pragma: no cover - depends on the environment
    read_typed = None

__all__ = ["PageRows", "dict_reader", "read_page"]


def read_page(
    raw: bytes,
    columns: Sequence[str],
    *,
    post: Callable[[dict[str, Any]], bool] | None = None,
    decode: Callable[[bytes], dict[str, Any]] | None = None,
) -> PageRows:
    """Read a ``/contacts/search`` page (the bytes of a 2xx answer). ``decode`` reads the body for the dict path
    (the client's ``decode``, which keeps its token out of errors). Raises what it raises for a body that is not a
    JSON object, and ``PaginationError`` when ``data`` is not a list."""
    if post is None:
        page = _typed(raw, columns) if read_typed is not None else _fast(raw, columns)
        if page is not None:
            return page
    return _slow(decode(raw) if decode is not None else decipher(200, {}, raw), columns, post)


def dict_reader(kind: str, items_key: str) -> Callable[..., PageRows]:
    """A page reader for another search (conversations under ``"conversations"``, tickets under ``"tickets"``):
    the dict path only, the same ``read_page(raw, columns, *, post, decode)`` call."""

    def read(
        raw: bytes,
        columns: Sequence[str],
        *,
        post: Callable[[dict[str, Any]], bool] | None = None,
        decode: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> PageRows:
        body = decode(raw) if decode is not None else decipher(200, {}, raw)
        return _slow(body, columns, post, kind, items_key)

    read.__name__ = read.__qualname__ = f"read_{kind}_page"
    return read


# ------------------------------------------------------------------------------------------------- dict path


def _slow(
    body: dict[str, Any],
    columns: Sequence[str],
    post: Callable[[dict[str, Any]], bool] | None,
    kind: str = "contacts",
    items_key: str = "data",
) -> PageRows:
    items = [i for i in items_at(body, items_key) if isinstance(i, dict) and i.get("id") is not None]
    envelope = {k: v for k, v in body.items() if k != items_key}
    custom = SCHEMAS[kind].custom or ""
    return PageRows(
        body=envelope,
        ids=[str(i["id"]) for i in items],
        created=[i.get("created_at") for i in items],
        updated=[i.get("updated_at") for i in items],
        custom=[i.get(custom) for i in items],
        passes=None if post is None else [bool(post(i)) for i in items],
        table=items_table(kind, items, columns),
    )


# ------------------------------------------------------------------------------------------------ fast paths


def _utf8(raw: bytes) -> bool:
    """Both fast paths pass invalid UTF-8 outside the fields they read through unchecked; the dict path refuses it."""
    if raw.isascii():
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _typed(raw: bytes, columns: Sequence[str]) -> PageRows | None:
    if not _utf8(raw):
        return None
    return read_typed(raw, columns)  # type: ignore[misc]


_REF = pa.struct(
    [
        ("data", pa.list_(pa.struct([("id", pa.string())]))),
        ("total_count", pa.int64()),
        ("has_more", pa.bool_()),
    ]
)
_SCALAR = {STRING: pa.string(), TIMESTAMP: pa.int64(), BOOL: pa.bool_()}


def _record_type() -> pa.StructType:
    fields: dict[str, Any] = {}
    nested: dict[str, list[tuple[str, pa.DataType]]] = {}
    for column in CONTACTS.columns:
        head, *rest = column.path
        if column.summary is not None:
            fields[head] = _REF
        elif not rest:
            fields[head] = _SCALAR[column.kind]
        else:
            nested.setdefault(head, []).append((rest[0], _SCALAR[column.kind]))
            fields[head] = None
    for head, children in nested.items():
        fields[head] = pa.struct(children)
    # Declared empty: only whether it is an object matters here; its text is cut from the body.
    fields["custom_attributes"] = pa.struct([])
    return pa.struct(list(fields.items()))


_PAGE_SCHEMA = pa.schema(
    [
        ("data", pa.list_(_record_type())),
        ("total_count", pa.int64()),
        ("pages", pa.struct([("next", pa.struct([("starting_after", pa.string())]))])),
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=_PAGE_SCHEMA, unexpected_field_behavior="ignore")
_READ = pj.ReadOptions(use_threads=False, block_size=1 << 24)
_MAX_TS = MAX_TIMESTAMP
# The page's buffers are made in a reader thread and freed in another, and pyarrow's default pool (mimalloc) keeps
# freed memory in per-thread heaps: a million-contact export peaked at ~260 MB with it for every buffer, ~210 MB
# with the system allocator for every buffer. The page's own buffers use the system allocator; parts hand theirs
# back as they are written (see _sinks._release).
_POOL = pa.system_memory_pool()


def _fast(raw: bytes, columns: Sequence[str]) -> PageRows | None:
    if not _utf8(raw):
        return None
    try:
        page = pj.read_json(pa.BufferReader(raw), read_options=_READ, parse_options=_PARSE, memory_pool=_POOL)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if page.num_rows != 1:
        return None
    data = page.column("data").chunk(0)
    if data.null_count:
        return None  # "data": null or missing, which the dict path reads as no records
    records: pa.StructArray = data.values
    if records.null_count or records.field("id").null_count:
        return None
    built = _columns(records)
    if built is None:
        return None
    custom = _custom(raw, records.field("custom_attributes"))
    if custom is None:
        return None
    texts, attrs = custom
    table = pa.table([built[c] for c in columns], names=list(columns))
    table = table.append_column(CUSTOM, texts)
    pages = page.column("pages").to_pylist()[0]
    cursor = ((pages or {}).get("next") or {}).get("starting_after")
    body: dict[str, Any] = {"type": "list", "total_count": page.column("total_count").to_pylist()[0]}
    if cursor is not None:
        body["pages"] = {"next": {"starting_after": cursor}}
    return PageRows(
        body=body,
        ids=records.field("id").to_pylist(),
        created=records.field("created_at").to_pylist(),
        updated=records.field("updated_at").to_pylist(),
        custom=attrs,
        passes=None,
        table=table,
        attrs=attrs,
    )


def _columns(records: pa.StructArray) -> dict[str, pa.Array] | None:
    """The typed columns ``_columns.read`` builds, from Arrow children; None where the dict path would clean values."""
    out: dict[str, pa.Array] = {}
    refs: dict[str, tuple[pa.Array, ...]] = {}
    stamps: list[str] = []
    for column in CONTACTS.columns:
        name, (head, *rest) = column.name, column.path
        if column.summary is not None:
            if head not in refs:
                got = _refs(records.field(head))
                if got is None:
                    return None
                refs[head] = got
            ids, count, more = refs[head]
            out[name] = {"ids": ids, "count": count, "has_more": more}[column.summary]
            continue
        out[name] = pc.struct_field(records.field(head), rest[0]) if rest else records.field(head)
        if column.kind == TIMESTAMP:
            stamps.append(name)
    # One pass over all timestamp columns at once (a compute call's fixed cost dwarfs a page's values).
    n = len(records)
    flat = pa.concat_arrays([out[name] for name in stamps], memory_pool=_POOL)
    good = pc.and_(pc.greater(flat, 0), pc.less(flat, _MAX_TS))
    flat = pc.if_else(good, flat, None, memory_pool=_POOL)
    flat = flat.cast(pa.timestamp("s", tz="UTC")).cast(ARROW_TYPES[TIMESTAMP], memory_pool=_POOL)
    for i, name in enumerate(stamps):
        out[name] = flat.slice(i * n, n)
    return out


def _refs(group: pa.StructArray) -> tuple[pa.Array, pa.Array, pa.Array] | None:
    """tags / companies / notes → (ids, count, has_more) as ``_columns.read`` makes them."""
    data, total, more = group.field("data"), group.field("total_count"), group.field("has_more")
    elements: pa.StructArray = data.values
    if elements.null_count or elements.field("id").null_count:
        return None
    if not group.null_count:
        # The dict path tells a missing count or flag from a null one, and reads a group without "data"
        # elsewhere; Arrow sees nulls in all of them, so such pages go the dict path.
        if data.null_count or total.null_count or more.null_count:
            return None
        ids = pa.ListArray.from_arrays(data.offsets, elements.field("id"))
        return ids.cast(ARROW_TYPES[LIST]), total, more
    present = pc.is_valid(group)
    missing = pc.or_(pc.or_(pc.is_null(data), pc.is_null(total)), pc.is_null(more))
    if pc.any(pc.and_(present, missing)).as_py():
        return None
    ids = pa.ListArray.from_arrays(data.offsets, elements.field("id"), mask=pc.invert(present))
    return ids.cast(ARROW_TYPES[LIST]), pc.if_else(present, total, None), pc.if_else(present, more, None)


# A key named custom_attributes (its opening quote is a real one unless a backslash precedes it: in JSON that pyarrow
# accepted, a closing quote cannot be followed by a name) and its value, which must be null or an object of scalars.
# bytes.find + a possessive match is several times faster than one regex scanning the page.
_KEY = b'"custom_attributes":'
_VALUE = re.compile(rb'null|\{(?:[^"{}\[\]]++|"(?:[^"\\]++|\\.)*+")*+\}')


def _custom(raw: bytes, present: pa.StructArray) -> tuple[pa.Array, list[Any]] | None:
    """The records' custom attributes as a JSON text column (null when empty) and as dicts, or None.

    Every key named custom_attributes anywhere in the page must hold null or a flat object, and the objects must
    be exactly as many as the records whose custom_attributes is an object: then none sits deeper in a record,
    and the i-th object is the i-th such record's."""
    objects: list[bytes] = []
    find, match = raw.find, _VALUE.match
    start = find(_KEY)
    while start >= 0:
        end = start + len(_KEY)
        if not (start and raw[start - 1] == 0x5C):  # not \"
            value = match(raw, end)
            if value is None:
                return None
            text = value.group()
            if text != b"null":
                objects.append(text)
        start = find(_KEY, end)
    n = len(present)
    if n - present.null_count != len(objects):
        return None
    try:
        parsed = _decode(b"[" + b",".join(objects) + b"]")
    except ValueError:
        return None
    texts = pa.array(objects, type=pa.binary(), memory_pool=_POOL).cast(pa.string())  # checks the UTF-8 too
    texts = pc.if_else(pc.equal(texts, "{}"), None, texts)
    if present.null_count:
        # Spread the objects over the records that have one (slot = the object's position); the others get null.
        slots: list[int | None] = [None] * n
        for j, i in enumerate(pc.indices_nonzero(pc.is_valid(present)).to_pylist()):
            slots[i] = j
        parsed = [None if j is None else parsed[j] for j in slots]
        texts = texts.take(pa.array(slots, type=pa.int64()))
    return texts, parsed
