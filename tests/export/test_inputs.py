"""Inputs that used to pass silently (issue 17, section 4): an unknown ``fields=`` entry, and a CSV read back as
the wrong kind of export."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

import intercomkit as ik
from intercomkit.errors import ConfigurationError, UnknownField, WrongFileKind
from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A contacts and a companies CSV exported from one sandbox."""
    where = tmp_path_factory.mktemp("exports")
    sb = Sandbox(contacts=120, companies=15, seed=7)

    async def main():
        async with sb.client() as client:
            await client.export.contacts(where / "contacts.csv", progress=False)
            await client.export.companies(where / "companies.csv", progress=False)
            return await client.companies.frame()

    companies = ik.run_sync(main())
    return where / "contacts.csv", where / "companies.csv", companies


def test_read_companies_csv_gives_the_companies_schema(exported):
    _, companies_csv, companies = exported
    back = ik.read_companies_csv(companies_csv)
    assert sorted(back["id"]) == sorted(companies["id"])
    for name, dtype in ik.COMPANY_COLUMNS.items():
        assert str(back[name].dtype) == dtype, name
    assert str(back["user_count"].dtype) == "Int64"
    by_id = back.set_index("id")
    for row in companies.itertuples():
        assert by_id.loc[row.id, "name"] == row.name
        assert by_id.loc[row.id, "created_at"] == row.created_at


def test_each_reader_refuses_the_other_kind_of_file(exported):
    contacts_csv, companies_csv, _ = exported
    with pytest.raises(WrongFileKind) as wrong:
        ik.read_contacts_csv(companies_csv)
    assert wrong.value.kind == "companies" and "ik.read_companies_csv" in str(wrong.value)
    assert isinstance(wrong.value, ValueError)
    with pytest.raises(WrongFileKind) as wrong:
        ik.read_companies_csv(contacts_csv)
    assert wrong.value.kind == "contacts" and "ik.read_contacts_csv" in str(wrong.value)
    assert len(ik.read_contacts_csv(contacts_csv)) == 120


def test_a_csv_that_is_no_export_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"id": ["1"], "favourite_colour": ["blue"]}).to_csv(path, index=False)
    with pytest.raises(WrongFileKind, match="favourite_colour") as wrong:
        ik.read_contacts_csv(path)
    assert wrong.value.kind is None


def test_a_selection_of_shared_columns_reads_as_either(tmp_path):
    path = tmp_path / "few.csv"
    pd.DataFrame({"id": ["1"], "name": ["Ada"], "custom.seats": ["3"]}).to_csv(path, index=False)
    assert ik.read_contacts_csv(path)["custom.seats"].tolist() == [3]
    assert ik.read_companies_csv(path)["name"].tolist() == ["Ada"]


async def test_an_unknown_custom_field_is_refused_before_anything_is_written(tmp_path):
    sb = Sandbox(contacts=60, companies=5, seed=1)
    out = tmp_path / "c.csv"
    async with sb.client() as client:
        with pytest.raises(UnknownField) as unknown:
            await client.export.contacts(out, fields=["id", "custom.plan"], progress=False)
        assert unknown.value.field == "custom.plan" and unknown.value.suggestion == "custom.plan_tier"
        assert "custom.seats" in unknown.value.known and "did you mean 'custom.plan_tier'" in str(
            unknown.value
        )
        assert isinstance(unknown.value, ConfigurationError)
        assert not out.exists() and not (tmp_path / "c.csv.partial").exists()

        with pytest.raises(UnknownField, match="custom.tier"):
            await client.export.companies(tmp_path / "co.csv", fields=["id", "custom.tear"], progress=False)

        # Known attributes pass, including one first written through the API.
        await client.contacts.update(sb.contact_ids()[0], custom_attributes={"nps": 9})
        result = await client.export.contacts(
            out, fields=["id", "custom.plan_tier", "custom.nps"], progress=False
        )
        assert result.rows == 60
        frame = ik.read_contacts_csv(out)
        assert list(frame.columns) == ["id", "custom.plan_tier", "custom.nps"]
        assert frame["custom.plan_tier"].notna().any() and frame["custom.nps"].notna().sum() == 1


async def test_an_unknown_standard_field_names_a_close_match(tmp_path):
    async with Sandbox(contacts=5).client() as client:
        with pytest.raises(UnknownField) as unknown:
            await client.export.contacts(tmp_path / "c.csv", fields=["id", "emial"], progress=False)
    assert unknown.value.suggestion == "email" and "email" in unknown.value.known


async def test_the_custom_attributes_are_listed_from_the_workspace():
    sb = Sandbox(contacts=200, companies=20, seed=3)
    async with sb.client() as client:
        contact_attrs = await client.contacts.attributes()
        company_attrs = await client.companies.attributes()
        custom = {a.name for a in contact_attrs if a.custom}
        assert custom == {"plan_tier", "seats", "mrr", "beta_tester", "signup_source"}
        assert {a.name for a in company_attrs if a.custom} == {"region", "account_manager", "tier"}
        # Every custom attribute a record carries is listed, with a type that fits its values.
        types = {a.name: a.data_type for a in contact_attrs if a.custom}
        frame = await client.contacts.frame()
        for column in frame.columns:
            if column.startswith("custom."):
                assert column[7:] in types
        assert types["seats"] == "integer" and types["mrr"] == "float" and types["beta_tester"] == "boolean"


def test_cli_unknown_field_is_a_usage_error(tmp_path):
    exe = shutil.which("intercomkit") or pytest.skip("the intercomkit console script is not on PATH")
    out = tmp_path / "c.csv"
    done = subprocess.run(
        [exe, "export", "contacts", "--sandbox", "--sandbox-contacts", "50", "--out", str(out)]
        + ["--fields", "id,custom.plan", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "custom.plan_tier" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "c.csv.partial").exists()
