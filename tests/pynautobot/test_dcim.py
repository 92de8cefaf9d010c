"""DCIM objects through pynautobot: create, read, follow FKs, save, delete."""


def test_location_type_and_location(nb, uid, location_type, location, active):
    assert location_type.nestable is True
    assert location_type.content_types == ["dcim.device"]

    assert location.name == f"loc-{uid}"
    assert location.display == f"loc-{uid}"
    assert location.url.startswith("http")
    assert location.url.endswith(f"/api/dcim/locations/{location.id}/")
    # Nested FKs are Records pointing at their own endpoints.
    assert location.location_type.id == location_type.id
    assert location.status.id == active.id
    assert location.status.name == "Active"  # fetched through the nested `url`

    fetched = nb.dcim.locations.get(location.id)
    assert fetched.id == location.id
    assert nb.dcim.locations.get(name=f"loc-{uid}").id == location.id

    fetched.description = "changed"
    assert fetched.save() is True
    assert nb.dcim.locations.get(location.id).description == "changed"


def test_device_and_interface(nb, uid, location, active):
    manufacturer = nb.dcim.manufacturers.create(name=f"mfr-{uid}")
    assert manufacturer.display == f"mfr-{uid}"
    device_type = nb.dcim.device_types.create(manufacturer=manufacturer.id, model=f"model-{uid}")
    assert device_type.manufacturer.id == manufacturer.id
    role = nb.extras.roles.create(name=f"role-{uid}", content_types=["dcim.device"])
    other_role = nb.extras.roles.create(name=f"role2-{uid}", content_types=["dcim.device"])

    device = nb.dcim.devices.create(
        name=f"dev-{uid}",
        device_type=device_type.id,
        role=role.id,
        location=location.id,
        status=active.id,
    )
    assert device.display == f"dev-{uid}"
    assert device.url.endswith(f"/api/dcim/devices/{device.id}/")
    assert device.device_type.id == device_type.id
    assert device.role.id == role.id
    assert device.location.id == location.id
    assert device.status.id == active.id

    interface = nb.dcim.interfaces.create(
        device=device.id, name="eth0", type="1000base-t", status=active.id
    )
    assert interface.device.id == device.id
    assert interface.type.value == "1000base-t"
    assert [i.id for i in nb.dcim.interfaces.filter(device=device.id)] == [interface.id]

    # save() sends only what changed, a plain field and an FK given by id.
    device = nb.dcim.devices.get(name=f"dev-{uid}")
    device.serial = f"SN-{uid}"
    device.role = other_role.id
    assert device.save() is True
    again = nb.dcim.devices.get(device.id)
    assert again.serial == f"SN-{uid}"
    assert again.role.id == other_role.id
    # Endpoint.update(id, data) is a PATCH too.
    assert nb.dcim.devices.update(id=device.id, data={"comments": "hello"}) is True
    assert nb.dcim.devices.get(device.id).comments == "hello"

    assert interface.delete() is True
    assert nb.dcim.interfaces.get(interface.id) is None
    assert device.delete() is True
    assert nb.dcim.devices.get(device.id) is None
    assert nb.dcim.devices.get(name=f"dev-{uid}") is None


def test_filtering_locations_on_a_related_field(nb, uid, location, location_type, active):
    by_name = nb.dcim.locations.filter(status="Active", location_type=location_type.name)
    assert [loc.id for loc in by_name] == [location.id]
    by_id = nb.dcim.locations.filter(status=active.id, location_type=location_type.id)
    assert [loc.id for loc in by_id] == [location.id]
