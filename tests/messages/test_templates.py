import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit.errors import TemplateError
from intercomkit.messages._templates import is_empty, parse_template, render_rows

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8})?", fullmatch=True)
literal = st.text().filter(lambda t: "{{" not in t and not t.endswith("{"))
values = st.text(min_size=1).filter(lambda t: t.strip())


@given(literal)
def test_text_without_tags_renders_unchanged(text):
    assert parse_template(text).render({}) == text


@given(names, values, literal, literal)
def test_field_inserts_value_verbatim(name, value, before, after):
    template = parse_template(before + "{{ " + name + " }}" + after)
    assert template.render({name: value}) == before + value + after


@given(names, st.sampled_from([None, "", "  ", math.nan]), st.text().filter(lambda t: '"' not in t))
def test_default_replaces_empty_values(name, empty, default):
    template = parse_template(f'{{{{ {name} | "{default}" }}}}')
    assert template.render({name: empty}) == default


def test_dotted_names_match_flattened_columns_and_nested_dicts():
    t = parse_template("{{ location.city }}")
    assert t.render({"location.city": "Paris"}) == "Paris"
    assert t.render({"location": {"city": "Lyon"}}) == "Lyon"


def test_single_quoted_default_and_no_escaping():
    t = parse_template("Hi {{name|'there'}} <b>{{ x }}</b>")
    assert t.render({"name": None, "x": "<i>&"}) == "Hi there <b><i>&</b>"


@pytest.mark.parametrize("bad", ["{{ name", "{{ }}", "{{ a | there }}", "{{ a | 'x' 'y' }}"])
def test_malformed_tags_raise(bad):
    with pytest.raises(TemplateError):
        parse_template(bad)


def test_empty_values():
    import pandas as pd

    assert all(is_empty(v) for v in (None, "", " \n", math.nan, pd.NA, pd.NaT))
    assert not any(is_empty(v) for v in (0, False, "x", 0.0))


def test_every_row_problem_is_reported():
    templates = {
        "body": parse_template("Hi {{ name }} from {{ cty }}"),
        "subject": parse_template("{{ plan }}"),
    }
    rows = [("a", {"name": "A", "city": "X", "plan": "p"}), ("b", {"name": None, "city": "Y", "plan": ""})]
    with pytest.raises(TemplateError) as info:
        render_rows(templates, rows, columns=["name", "city", "plan"])
    problems = info.value.problems
    assert (None, "body: no column 'cty' (did you mean 'city'?)") in problems
    assert [k for k, _ in problems].count("b") == 2  # empty name and empty plan
    assert "a" not in [k for k, _ in problems]
    assert "nothing was sent" in str(info.value)
