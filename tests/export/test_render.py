"""CSV lines: converting same-typed columns together gives the same text as converting each on its own."""

from __future__ import annotations

import csv
import io
import math

import pyarrow as pa
import pyarrow.csv as pacsv
from hypothesis import given, settings
from hypothesis import strategies as st

from intercomkit import _columns
from intercomkit.export._sinks import _CSV_OPTIONS, _as_text, render_csv

_TS = pa.timestamp("us", tz="UTC")
_KINDS = {
    "ts": (_TS, st.one_of(st.none(), st.integers(1, 253402300799).map(lambda s: s * 10**6))),  # whole seconds
    "bool": (pa.bool_(), st.one_of(st.none(), st.booleans())),
    "int": (pa.int64(), st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))),
    "float": (pa.float64(), st.one_of(st.none(), st.floats(allow_nan=False))),
    "text": (pa.string(), st.one_of(st.none(), st.text(max_size=5))),
    # ids that need no JSON escaping, and (rarely) ones that do: one such column sends its group the slow way
    "list": (
        pa.list_(pa.string()),
        st.one_of(
            st.none(),
            st.lists(
                st.one_of(
                    st.from_regex(r"[a-z0-9]{1,4}", fullmatch=True), st.sampled_from(['a"b', "é", "\\"])
                )
            ),
        ),
    ),
}


def _one_by_one(table: pa.Table) -> bytes:
    text = pa.table([_as_text(table.column(c)) for c in table.column_names], names=table.column_names)
    text = text.combine_chunks()
    sink = pa.BufferOutputStream()
    pacsv.write_csv(text, sink, write_options=_CSV_OPTIONS)
    return sink.getvalue().to_pybytes()


@st.composite
def tables(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=8))
    rows = draw(st.integers(1, 6))
    columns = {}
    for i, kind in enumerate(kinds):
        arrow, values = _KINDS[kind]
        columns[f"{kind}{i}"] = pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), type=arrow)
    table = pa.table(columns)
    cut = draw(st.integers(0, rows))  # columns of several chunks, as a concatenated row group has
    return pa.concat_tables([table.slice(0, cut), table.slice(cut)])


@settings(max_examples=150, deadline=None)
@given(tables())
def test_columns_converted_together_render_as_one_by_one(table):
    assert render_csv(table, table.column_names) == _one_by_one(table)


def test_a_row_group_of_contacts_renders_as_one_by_one():
    stamps = pa.array([1_700_000_000_000_000, None, 5_000_000], type=_TS)
    ids = pa.array([["1", "2"], [], None], type=pa.list_(pa.string()))
    odd = pa.array([['x"y'], ["z"], []], type=pa.list_(pa.string()))
    table = pa.table(
        {"a": stamps, "b": stamps.take([2, 1, 0]), "tags": ids, "notes": odd, "n": ["p", None, "q"]}
    )
    lines = render_csv(table, table.column_names)
    assert lines == _one_by_one(table)
    first, second, _ = lines.splitlines()
    assert first == b'"2023-11-14T22:13:20Z","1970-01-01T00:00:05Z","[""1"",""2""]","[""x\\""y""]","p"'
    assert second == b',,"[]","[""z""]",'


def test_a_column_with_an_empty_chunk_renders_its_rows_not_garbage():
    # pyarrow's CSV writer mishandles zero-length chunks; a concatenation or a slice can make one.
    table = pa.table(
        {"a": ["x", "y", "z"], "b": pa.chunked_array([pa.array([], pa.string()), pa.array(["1", "2", "3"])])}
    )
    assert render_csv(table, ["a", "b"]) == b'"x","1"\n"y","2"\n"z","3"\n'


_KIND_OF = {
    "ts": "timestamp",
    "bool": "bool",
    "int": "int",
    "float": "float",
    "text": "string",
    "list": "list",
}


@settings(max_examples=100, deadline=None)
@given(tables())
def test_rendered_text_is_the_column_models_text(table):
    """The Arrow renderer writes each value as ``_columns.text`` does (a float: the same value)."""
    rows = list(csv.reader(io.StringIO(render_csv(table, table.column_names).decode())))
    for i, name in enumerate(table.column_names):
        kind = _KIND_OF[name.rstrip("0123456789")]
        values = table.column(name).to_pylist()
        if kind == "timestamp":
            values = [None if v is None else int(v.timestamp()) for v in values]
        texts = [row[i] if row else "" for row in rows]  # a lone null column writes an empty line
        if kind == "float":
            assert [float(t) if t else None for t in texts] == values
            # (cleaned floats are finite: the strategy's infinities never reach a file)
            assert all(_columns.text_kind([t]) == "float" for t in texts if t and math.isfinite(float(t)))
        else:
            assert texts == [_columns.text(kind, v) for v in values], name
