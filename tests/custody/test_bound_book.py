"""The A&D record: ATF column order, the three views of corrections, CSV and JSON, search."""

from __future__ import annotations

import csv
import io


def test_bound_book_rows_follow_the_atf_columns(officer, world, firearm):
    item = firearm("BB-1")
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "TX-5",
        },
    )
    book = officer.get("/api/v1/bound-book", query_string={"from": "2026-11-01", "to": "2026-11-30"}).get_json()
    assert book["columns"][:10] == [
        "manufacturer",
        "importer",
        "model",
        "serial",
        "type",
        "caliber",
        "date",
        "source_name",
        "source_address",
        "source_ffl",
    ]
    [row] = book["rows"]
    assert (
        row["serial"],
        row["date"],
        row["source_name"],
        row["disposition_date"],
        row["transferee_name"],
        row["form_4473"],
    ) == ("BB-1", "2026-11-03", "Demo Arms Co.", "2026-11-05", "Jane Doe", "TX-5")


def test_a_period_holds_the_lines_opened_or_closed_in_it(officer, world, firearm):
    """November's book shows a firearm acquired in October and sold in November (its disposition is
    an entry of November), and one acquired in November and still in stock; not one acquired and
    sold in October, nor one acquired in October and still in stock."""
    sold_in_november = firearm("BB-10", acquired="2026-10-20", date="2026-10-01")
    sold_in_october = firearm("BB-11", acquired="2026-10-20", date="2026-10-01")
    firearm("BB-12", acquired="2026-10-21", date="2026-10-01")
    firearm("BB-13", acquired="2026-11-02")
    for item, on, form in ((sold_in_november, "2026-11-05", "TX-10"), (sold_in_october, "2026-10-30", "TX-11")):
        sold = officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={"date": on, "transferee_party_id": world["person"], "form_4473": form},
        )
        assert sold.status_code == 201, sold.get_json()
    for view in ("originals", "corrected", "both"):
        rows = officer.get(
            "/api/v1/bound-book", query_string={"from": "2026-11-01", "to": "2026-11-30", "view": view}
        ).get_json()["rows"]
        assert [(r["serial"], r["date"], r["disposition_date"]) for r in rows] == [
            ("BB-10", "2026-10-20", "2026-11-05"),
            ("BB-13", "2026-11-02", None),
        ], view
    licensed = officer.get(
        "/api/v1/bound-book", query_string={"from": "2026-11-01", "to": "2026-11-30", "licensee": world["maker"]}
    ).get_json()["rows"]
    assert licensed == []


def test_corrections_show_in_three_views(officer, world, firearm):
    item = firearm("BB-2")
    acquisition = officer.get(f"/api/v1/items/{item}").get_json()["timeline"][1]["entry_index"]
    officer.post(
        f"/api/v1/items/{item}/corrections",
        json={"corrects": acquisition, "fields": {"date": "2026-11-04"}, "reason": "received a day later"},
    )

    def rows(view):
        return officer.get(
            "/api/v1/bound-book", query_string={"from": "2026-11-01", "to": "2026-11-30", "view": view}
        ).get_json()["rows"]

    assert [(r["version"], r["date"]) for r in rows("originals")] == [("original", "2026-11-03")]
    assert [(r["version"], r["date"]) for r in rows("corrected")] == [("corrected", "2026-11-04")]
    assert [(r["version"], r["date"]) for r in rows("both")] == [
        ("original", "2026-11-03"),
        ("corrected", "2026-11-04"),
    ]


def test_bound_book_as_csv_has_the_same_rows(officer, firearm):
    firearm("BB-3")
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    as_json = officer.get("/api/v1/bound-book", query_string=query).get_json()["rows"]
    response = officer.get("/api/v1/bound-book", query_string={**query, "format": "csv"})
    assert response.mimetype == "text/csv"
    as_csv = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["serial"] for r in as_csv] == [r["serial"] for r in as_json] == ["BB-3"]


def test_bound_book_needs_its_period(officer):
    response = officer.get("/api/v1/bound-book", query_string={"to": "2026-11-30"})
    assert response.status_code == 400 and response.get_json()["field"] == "from"


def test_exact_serial_search_finds_any_form_and_filters(officer, firearm):
    item = firearm("SR-77")
    officer.post(
        "/api/v1/items", json={"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}
    )
    assert [i["id"] for i in officer.get("/api/v1/items", query_string={"serial": " sr-77 "}).get_json()["items"]] == [
        item
    ]
    vin = officer.get("/api/v1/items", query_string={"serial": "1m8 gdm9axkp042788"}).get_json()["items"]
    assert [i["model_year"] for i in vin] == [1989]
    assert officer.get("/api/v1/items", query_string={"serial": "SR-77", "kind": "vehicle"}).get_json()["items"] == []
    by_maker = officer.get("/api/v1/items", query_string={"manufacturer": "DEMO ARMS CO.", "status": "in_custody"})
    assert [i["id"] for i in by_maker.get_json()["items"]] == [item]
