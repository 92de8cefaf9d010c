"""Errors as pynautobot sees them: 400 bodies in Django REST framework's shape, 404 → None."""

import json

import pynautobot
import pytest


def request_error(call, **kwargs):
    """The RequestError that `call(**kwargs)` raises, its body parsed."""
    with pytest.raises(pynautobot.RequestError) as err:
        call(**kwargs)
    assert err.value.req.status_code == 400, err.value.error
    return err.value, json.loads(err.value.error)


def test_a_missing_required_field_is_a_400(nb, uid):
    err, body = request_error(nb.dcim.locations.create, name=f"x-{uid}")
    assert body["location_type"] == ["This field is required."]
    assert "location_type" in err.error and "This field is required." in err.error
    assert nb.dcim.locations.get(name=f"x-{uid}") is None


def test_a_duplicate_name_is_a_400(nb, uid):
    nb.dcim.manufacturers.create(name=f"dup-{uid}")
    err, body = request_error(nb.dcim.manufacturers.create, name=f"dup-{uid}")
    assert body == {"name": ["manufacturer with this name already exists."]}
    assert "already exists" in err.error
    assert nb.dcim.manufacturers.count(name=f"dup-{uid}") == 1


def test_missing_objects_are_none(nb):
    assert nb.dcim.devices.get(name="does-not-exist") is None
    assert nb.dcim.devices.get("00000000-0000-0000-0000-000000000000") is None
    assert nb.dcim.devices.filter(name="does-not-exist") == []
