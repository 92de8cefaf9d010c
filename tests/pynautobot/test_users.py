"""The users app through `nb.users.*`: users, groups, tokens and object permissions."""

import pynautobot
import pytest


def test_users_are_created_found_filtered_and_deleted(nb, url, uid):
    group = nb.users.groups.create(name=f"ops-{uid}")
    user = nb.users.users.create(
        username=f"ann-{uid}", password="s3cret-pw", email="ann@example.com", groups=[group.id]
    )
    assert user.username == f"ann-{uid}"
    assert not hasattr(user, "password") or user.password is None
    found = nb.users.users.get(username=f"ann-{uid}")
    assert found.id == user.id
    assert [g.id for g in found.groups] == [group.id]
    assert "argon2" not in str(dict(found))
    assert [u.id for u in nb.users.users.filter(username__ic=f"ann-{uid}")] == [user.id]
    found.first_name = "Ann"
    assert found.save()
    assert nb.users.users.get(user.id).first_name == "Ann"
    assert found.delete()
    assert nb.users.users.get(username=f"ann-{uid}") is None
    assert group.delete()


def test_a_token_key_is_shown_once(nb, url, uid):
    token = nb.users.tokens.create(description=f"ci-{uid}", write_enabled=False)
    assert len(token.key) == 40
    again = nb.users.tokens.get(token.id)
    assert getattr(again, "key", None) is None
    # The key works, read-only as asked.
    read_only = pynautobot.api(url, token=token.key)
    assert read_only.users.groups.count() >= 0
    with pytest.raises(pynautobot.RequestError) as err:
        read_only.users.groups.create(name=f"nope-{uid}")
    assert err.value.req.status_code == 403
    assert again.delete()


def test_permissions_grant_actions_on_object_types(nb, url, uid):
    user = nb.users.users.create(username=f"bob-{uid}", password="pw-bob")
    token = nb.users.tokens.create(description=f"bob-{uid}", user=user.id)
    bob = pynautobot.api(url, token=token.key)
    with pytest.raises(pynautobot.RequestError) as err:
        bob.users.users.all()
    assert err.value.req.status_code == 403
    permission = nb.users.permissions.create(
        name=f"view users {uid}",
        object_types=["users.user"],
        actions=["view"],
        users=[user.id],
    )
    assert permission.enabled is True
    assert [u.id for u in permission.users] == [user.id]
    assert nb.users.permissions.get(name=f"view users {uid}").id == permission.id
    assert any(u.username == f"bob-{uid}" for u in bob.users.users.all())
    with pytest.raises(pynautobot.RequestError) as err:
        nb.users.permissions.create(name=f"odd {uid}", object_types=["nope.nothing"], actions=["view"])
    assert err.value.req.status_code == 400
    assert permission.delete()
    assert user.delete()
