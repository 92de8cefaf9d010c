"""Custom fields through pynautobot: definitions and choices through `nb.extras`, values
read on objects, changed with `save()`, filtered with `cf_<key>`, refused when invalid."""

import pynautobot
import pytest


def test_custom_fields_round_trip(nb, uid, location):
    key = f"ticket_{uid}"
    tier_key = f"tier_{uid}"
    ticket = nb.extras.custom_fields.create(
        label=f"Ticket {uid}", key=key, type="text", content_types=["dcim.location"]
    )
    tier = nb.extras.custom_fields.create(
        label=f"Tier {uid}", key=tier_key, type="select", content_types=["dcim.location"],
        grouping="Service",
    )
    try:
        assert ticket.key == key
        assert ticket.type.value == "text"
        assert ticket.filter_logic.value == "loose"
        gold = nb.extras.custom_field_choices.create(custom_field=tier.id, value="gold")
        nb.extras.custom_field_choices.create(custom_field=tier.id, value="silver", weight=200)
        assert gold.custom_field.id == tier.id
        assert [c.value for c in nb.extras.custom_field_choices.filter(custom_field=tier.id)] == [
            "gold",
            "silver",
        ]

        # The existing object has every new key, unset.
        loc = nb.dcim.locations.get(location.id)
        assert loc.custom_fields[key] is None
        assert loc.custom_fields[tier_key] is None

        # device.custom_fields["x"] = …; device.save() round-trips.
        loc.custom_fields[key] = "CHG-1"
        loc.custom_fields[tier_key] = "gold"
        assert loc.save() is True
        again = nb.dcim.locations.get(location.id)
        assert again.custom_fields[key] == "CHG-1"
        assert again.custom_fields[tier_key] == "gold"

        found = nb.dcim.locations.filter(**{f"cf_{tier_key}": "gold"})
        assert [f.id for f in found] == [location.id]
        assert list(nb.dcim.locations.filter(**{f"cf_{tier_key}": "silver"})) == []

        again.custom_fields[tier_key] = "bronze"
        with pytest.raises(pynautobot.RequestError) as refused:
            again.save()
        assert "Invalid choice" in str(refused.value.error)
        assert nb.dcim.locations.get(location.id).custom_fields[tier_key] == "gold"

        with pytest.raises(pynautobot.RequestError) as unknown:
            nb.dcim.locations.create(
                name=f"cf-{uid}",
                location_type=location.location_type.id,
                status=location.status.id,
                custom_fields={"no_such_field": 1},
            )
        assert "Unknown field name 'no_such_field'" in str(unknown.value.error)
    finally:
        tier.delete()
        ticket.delete()
    assert key not in nb.dcim.locations.get(location.id).custom_fields
