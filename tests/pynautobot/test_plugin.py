"""The example plugin's models and validators through nb.plugins.example_plugin.*

pynautobot maps nb.plugins.example_plugin.example_models to
/api/plugins/example-plugin/example-models/ (underscores become hyphens).
"""

import json

import pynautobot
import pytest


def test_example_model_crud(nb, uid):
    models = nb.plugins.example_plugin.example_models
    assert models.url.endswith("/api/plugins/example-plugin/example-models")

    created = models.create(name=f"ex-{uid}")
    assert created.name == f"ex-{uid}"
    assert created.number == 100  # the model's default
    assert created.display == f"ex-{uid}"
    assert created.url.endswith(f"/api/plugins/example-plugin/example-models/{created.id}/")

    fetched = models.get(name=f"ex-{uid}")
    assert fetched.id == created.id
    fetched.number = 42
    assert fetched.save() is True
    assert models.get(created.id).number == 42
    assert [m.id for m in models.filter(name=f"ex-{uid}")] == [created.id]

    with pytest.raises(pynautobot.RequestError) as err:
        models.create(name=f"ex-{uid}", number=1)
    assert err.value.req.status_code == 400
    assert "already exists" in err.value.error

    assert fetched.delete() is True
    assert models.get(created.id) is None
    assert models.get(name=f"ex-{uid}") is None


def test_example_model_validator(nb):
    with pytest.raises(pynautobot.RequestError) as err:
        nb.plugins.example_plugin.example_models.create(name="forbidden")
    assert err.value.req.status_code == 400
    assert "name" in json.loads(err.value.error)


def test_location_validator_from_the_plugin(nb, location_type, active):
    name = "this location has a matching name"
    with pytest.raises(pynautobot.RequestError) as err:
        nb.dcim.locations.create(name=name, location_type=location_type.id, status=active.id)
    assert err.value.req.status_code == 400
    assert name in err.value.error
    assert "name" in json.loads(err.value.error)
    assert nb.dcim.locations.get(name=name) is None


def test_another_example_model_with_a_location(nb, uid, location):
    models = nb.plugins.example_plugin.another_example_models
    created = models.create(name=f"an-{uid}", location=location.id)
    assert created.location.id == location.id
    assert created.url.endswith(
        f"/api/plugins/example-plugin/another-example-models/{created.id}/"
    )
    assert models.get(name=f"an-{uid}").id == created.id
    bare = models.create(name=f"an0-{uid}")
    assert bare.location is None

    # Deleted with its location (on_delete=CASCADE).
    assert location.delete() is True
    assert models.get(created.id) is None
    assert models.get(bare.id).id == bare.id
