"""IPAM objects through pynautobot: the seeded Global namespace, prefixes, IPs, VLANs."""

import random


def test_prefix_ip_address_and_vlan(nb, uid, active, global_namespace):
    # A /24 of 10.0.0.0/8 of our own, so the suite can run again on the same server.
    net = f"10.{random.randrange(256)}.{random.randrange(256)}"
    prefix = nb.ipam.prefixes.create(
        prefix=f"{net}.0/24", namespace=global_namespace.id, status=active.id
    )
    assert prefix.prefix == f"{net}.0/24"
    assert prefix.display == f"{net}.0/24"
    assert prefix.namespace.id == global_namespace.id
    assert prefix.status.id == active.id
    assert prefix.url.endswith(f"/api/ipam/prefixes/{prefix.id}/")

    address = nb.ipam.ip_addresses.create(
        address=f"{net}.1/24", namespace=global_namespace.id, status=active.id
    )
    assert address.address == f"{net}.1/24"
    assert address.display == f"{net}.1/24"
    assert address.url.endswith(f"/api/ipam/ip-addresses/{address.id}/")
    assert nb.ipam.ip_addresses.get(address=f"{net}.1").id == address.id
    assert nb.ipam.ip_addresses.get(address=f"{net}.1/24").id == address.id

    vlan = nb.ipam.vlans.create(vid=100, name=f"vlan-{uid}", status=active.id)
    assert vlan.vid == 100
    assert vlan.status.id == active.id
    vlan.description = "changed"
    assert vlan.save() is True
    assert nb.ipam.vlans.get(name=f"vlan-{uid}").description == "changed"

    for record, endpoint in [
        (vlan, nb.ipam.vlans),
        (address, nb.ipam.ip_addresses),
        (prefix, nb.ipam.prefixes),
    ]:
        assert record.delete() is True
        assert endpoint.get(record.id) is None
