"""Config contexts through pynautobot: schemas and contexts through `nb.extras`, a
device's `config_context` with `include="config_context"` (merged by weight, its own
`local_config_context_data` last), data refused by a schema."""

import pynautobot
import pytest


def test_config_context_round_trip(nb, uid, location, active):
    manufacturer = nb.dcim.manufacturers.create(name=f"cc-mfr-{uid}")
    device_type = nb.dcim.device_types.create(manufacturer=manufacturer.id, model=f"cc-{uid}")
    role = nb.extras.roles.create(name=f"cc-role-{uid}", content_types=["dcim.device"])
    device = nb.dcim.devices.create(
        name=f"cc-{uid}",
        device_type=device_type.id,
        role=role.id,
        location=location.id,
        status=active.id,
    )
    schema = nb.extras.config_context_schemas.create(
        name=f"ntp-{uid}",
        data_schema={"type": "object", "properties": {"ntp": {"type": "array"}}},
    )
    base = nb.extras.config_contexts.create(
        name=f"base-{uid}",
        weight=100,
        locations=[location.id],
        config_context_schema=schema.id,
        data={"ntp": ["192.0.2.1"], "snmp": {"community": "public", "contact": "noc"}},
    )
    by_role = nb.extras.config_contexts.create(
        name=f"role-{uid}", weight=200, roles=[role.id], data={"snmp": {"community": "leaf"}}
    )
    try:
        assert base.config_context_schema.id == schema.id
        assert [loc.id for loc in base.locations] == [location.id]
        assert base.is_active is True

        # Without include, no config_context (as Nautobot 2.x).
        plain = nb.dcim.devices.get(device.id)
        assert "config_context" not in dict(plain)

        got = nb.dcim.devices.get(device.id, include="config_context")
        assert got.config_context == {
            "ntp": ["192.0.2.1"],
            "snmp": {"community": "leaf", "contact": "noc"},
        }

        # The device's own data wins, merged key by key.
        got.local_config_context_data = {"snmp": {"contact": "ops"}}
        assert got.save() is True
        listed = nb.dcim.devices.filter(name=f"cc-{uid}", include="config_context")
        assert [d.config_context["snmp"] for d in listed] == [
            {"community": "leaf", "contact": "ops"}
        ]

        # An inactive context no longer applies.
        by_role.is_active = False
        assert by_role.save() is True
        got = nb.dcim.devices.get(device.id, include="config_context")
        assert got.config_context["snmp"]["community"] == "public"

        # Data that fails the schema is refused and nothing changes.
        base.data = {"ntp": "192.0.2.9"}
        with pytest.raises(pynautobot.RequestError) as refused:
            base.save()
        assert "JSON Schema" in str(refused.value.error)
        assert nb.extras.config_contexts.get(base.id).data["ntp"] == ["192.0.2.1"]
    finally:
        by_role.delete()
        base.delete()
        schema.delete()
        device.delete()
        role.delete()
        device_type.delete()
        manufacturer.delete()
