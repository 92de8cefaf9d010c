"""Bulk create/update/delete, pagination past one page, and filter lookups."""

import pynautobot
import pytest


@pytest.fixture
def bulk(nb, uid):
    """120 Manufacturers created in one POST; returns (name prefix, records)."""
    prefix = f"bulk-{uid}-"
    records = nb.dcim.manufacturers.create([{"name": f"{prefix}{i:03}"} for i in range(1, 121)])
    return prefix, records


def test_bulk_create_returns_every_record(bulk):
    prefix, records = bulk
    assert isinstance(records, list)
    assert [r.name for r in records] == [f"{prefix}{i:03}" for i in range(1, 121)]
    assert all(r.id and r.url.endswith(f"/{r.id}/") for r in records)


def test_all_follows_next_past_the_first_page(nb, bulk):
    everything = list(nb.dcim.manufacturers.all())
    assert len(everything) >= 120
    assert len(everything) == nb.dcim.manufacturers.count()
    assert len({m.id for m in everything}) == len(everything)


def test_pages_of_50_keep_the_filter_and_the_order(nb, bulk):
    prefix, records = bulk
    # With an explicit limit pynautobot follows each page's `next` URL as given.
    paged = nb.dcim.manufacturers.filter(name__isw=prefix, limit=50)
    assert [m.name for m in paged] == [r.name for r in records]
    page = nb.dcim.manufacturers.filter(name__isw=prefix, limit=10, offset=20)
    assert [m.name for m in page] == [f"{prefix}{i:03}" for i in range(21, 31)]


def test_threaded_client_fetches_pages_concurrently(url, token, bulk):
    prefix, records = bulk
    threaded = pynautobot.api(url, token=token, threading=True)
    # limit=0 asks for the largest page; limit=50 makes it fetch offsets 50 and 100 in parallel.
    assert len(threaded.dcim.manufacturers.filter(name__isw=prefix)) == 120
    names = sorted(m.name for m in threaded.dcim.manufacturers.filter(name__isw=prefix, limit=50))
    assert names == [r.name for r in records]


def test_filter_lookups(nb, uid, bulk):
    prefix, _ = bulk
    manufacturers = nb.dcim.manufacturers
    assert len(manufacturers.filter(name__isw=prefix.upper())) == 120
    assert manufacturers.count(name__isw=prefix) == 120
    # A list is sent as repeated parameters, OR-ed.
    two = manufacturers.filter(name=[f"{prefix}001", f"{prefix}002"])
    assert sorted(m.name for m in two) == [f"{prefix}001", f"{prefix}002"]
    contains = manufacturers.filter(name__ic=f"{uid.upper()}-01")
    assert sorted(m.name for m in contains) == [f"{prefix}{i:03}" for i in range(10, 20)]
    searched = manufacturers.filter(q=f"{uid}-11")
    assert sorted(m.name for m in searched) == [f"{prefix}{i:03}" for i in range(110, 120)]
    assert manufacturers.count(q=f"{uid}-11") == 10
    excluded = manufacturers.filter(name__isw=prefix, name__n=f"{prefix}001")
    assert len(excluded) == 119
    assert f"{prefix}001" not in {m.name for m in excluded}
    with pytest.raises(ValueError):
        manufacturers.get(name__isw=prefix)  # more than one result


def test_bulk_update(nb, bulk):
    prefix, records = bulk
    some = records[:5]
    updated = nb.dcim.manufacturers.update([{"id": m.id, "description": "x"} for m in some])
    assert sorted(m.id for m in updated) == sorted(m.id for m in some)
    assert all(m.description == "x" for m in updated)
    for m in some:
        assert nb.dcim.manufacturers.get(m.id).description == "x"
    assert nb.dcim.manufacturers.get(records[5].id).description == ""

    # Records changed locally are sent as their changes only.
    again = [nb.dcim.manufacturers.get(m.id) for m in records[5:7]]
    for m in again:
        m.description = "y"
    assert [m.description for m in nb.dcim.manufacturers.update(again)] == ["y", "y"]


def test_bulk_delete(nb, bulk):
    prefix, records = bulk
    before = nb.dcim.manufacturers.count()
    assert nb.dcim.manufacturers.delete([m.id for m in records[:100]]) is True
    assert nb.dcim.manufacturers.count() == before - 100
    assert nb.dcim.manufacturers.count(name__isw=prefix) == 20
    # Records work as well as ids.
    assert nb.dcim.manufacturers.delete(records[100:]) is True
    assert nb.dcim.manufacturers.filter(name__isw=prefix) == []
