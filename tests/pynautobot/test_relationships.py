"""Relationships through pynautobot: definitions and associations through `nb.extras`,
an object's `relationships` with `include="relationships"` (read, and written back),
`cr_<key>__<side>` filters, and cardinality refused."""

import pynautobot
import pytest


def test_relationships_round_trip(nb, uid, location, location_type, active):
    other = nb.dcim.locations.create(
        name=f"rel-{uid}", location_type=location_type.id, status=active.id
    )
    vlan = nb.ipam.vlans.create(vid=100, name=f"rel-{uid}", status=active.id)
    key = f"site_vlan_{uid}"
    relationship = nb.extras.relationships.create(
        label=f"Site VLAN {uid}",
        key=key,
        type="one-to-many",
        source_type="dcim.location",
        destination_type="ipam.vlan",
    )
    try:
        assert relationship.type.value == "one-to-many"
        association = nb.extras.relationship_associations.create(
            relationship=relationship.id,
            source_type="dcim.location",
            source_id=location.id,
            destination_type="ipam.vlan",
            destination_id=vlan.id,
        )
        assert association.relationship.id == relationship.id

        got = nb.dcim.locations.get(location.id, include="relationships")
        side = got.relationships[key]["destination"]
        assert side["object_type"] == "ipam.vlan"
        assert [o["id"] for o in side["objects"]] == [vlan.id]
        from_vlan = nb.ipam.vlans.get(vlan.id, include="relationships")
        assert [o["id"] for o in from_vlan.relationships[key]["source"]["objects"]] == [
            location.id
        ]

        found = nb.dcim.locations.filter(**{f"cr_{key}__destination": vlan.id})
        assert [f.id for f in found] == [location.id]

        # A VLAN has one location in a one-to-many relationship.
        with pytest.raises(pynautobot.RequestError) as refused:
            nb.extras.relationship_associations.create(
                relationship=relationship.id,
                source_type="dcim.location",
                source_id=other.id,
                destination_type="ipam.vlan",
                destination_id=vlan.id,
            )
        assert "already has" in str(refused.value.error)

        # Written through the object: the VLAN moves to the other location.
        assert nb.dcim.locations.update(
            id=location.id,
            data={"relationships": {key: {"destination": {"objects": []}}}},
        )
        assert nb.dcim.locations.update(
            id=other.id,
            data={"relationships": {key: {"destination": {"objects": [vlan.id]}}}},
        )
        found = nb.dcim.locations.filter(**{f"cr_{key}__destination": vlan.id})
        assert [f.id for f in found] == [other.id]
    finally:
        relationship.delete()
        vlan.delete()
        other.delete()
    assert list(nb.extras.relationship_associations.filter(relationship=relationship.id)) == []
