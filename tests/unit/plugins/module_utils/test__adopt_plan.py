# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The takeover plan: which unit replaces a hand-run container, how its data is mounted, which
owner roles map to the catalog's, and what blocks a takeover."""

from __future__ import annotations

from ansible_collections.korczewski.platform.plugins.module_utils.adopt.plan import container_rows, owner_rows, plan_lines


def holder(name, cid, holds=None, port=None, project=None, unit="x/production"):
    return {"kind": "container", "name": name, "id": cid, "project": project, "holds": holds or "container name %s" % name,
            "port": port, "unit": unit, "state": "running", "volume": None}


def inspect(image, mounts=(), networks=("handrun-net",)):
    return {"Config": {"Image": image, "Labels": {}}, "Mounts": list(mounts),
            "NetworkSettings": {"Networks": dict((n, {}) for n in networks)}}


def test_rows_come_in_layer_order_with_their_units_images_and_data(catalog):
    unmanaged = [holder("videovault", "v1"), holder("shared-postgres", "p1"), holder("auth-service", "a1")]
    inspected = {
        "v1": inspect("local/app-standin:1", [{"Type": "bind", "Source": "/srv/media", "Destination": "/data"}]),
        "p1": inspect("postgres:14", [{"Type": "volume", "Name": "pgdata", "Destination": "/var/lib/postgresql/data"},
                                      {"Type": "bind", "Source": "/srv/initdb", "Destination": "/docker-entrypoint-initdb.d"}]),
        "a1": inspect("auth:old"),
    }
    rows, volumes, blocked = container_rows(catalog, unmanaged, inspected)
    assert [r["container"] for r in rows] == ["shared-postgres", "auth-service", "videovault"]
    assert blocked == []
    assert volumes == {"shared-postgres-data": {"external": "pgdata"}, "videovault-media": {"host_path": "/srv/media"}}
    postgres = rows[0]
    assert postgres["unit"] == "shared-postgres/production" and postgres["project"] == "shared-postgres-production"
    assert postgres["same_image"] is False and postgres["image"] == "postgres:14"
    assert [m["mount_point"] for m in postgres["mounts"]] == ["/var/lib/postgresql/data", "/docker-entrypoint-initdb.d"]
    assert "in place (external, never removed)" in postgres["mounts"][0]["plan"]
    # The unit's own network is not a bridge; the hand-run one is, until the takeover ends.
    assert postgres["networks"] == ["handrun-net"] and postgres["bridges"] == ["handrun-net"]
    assert postgres["mounts"][1]["catalog_volume"] is None and "stays as it is" in postgres["mounts"][1]["plan"]
    lines = plan_lines(rows, [])
    assert lines[0].startswith("shared-postgres (running) -> shared-postgres of shared-postgres-production: image postgres:14 -> ")


def test_a_catalog_volume_nothing_is_mounted_at_starts_empty_and_the_same_volume_is_kept(catalog):
    rows, volumes, dummy = container_rows(catalog, [holder("videovault", "v1"), holder("shared-postgres", "p1")], {
        "v1": inspect("x"),
        "p1": inspect("x", [{"Type": "volume", "Name": "shared-postgres-data", "Destination": "/var/lib/postgresql/data"}])})
    assert volumes == {}
    by_name = dict((r["container"], r) for r in rows)
    assert "new, empty volume videovault-media" in by_name["videovault"]["mounts"][0]["plan"]
    assert by_name["shared-postgres"]["mounts"][0]["plan"] == "the unit mounts the same volume shared-postgres-data"


def test_a_port_held_under_another_name_blocks_the_takeover(catalog):
    unmanaged = [holder("proxy", "t1", holds="port 443 of container traefik", port=443, unit="traefik/production")]
    rows, dummy, blocked = container_rows(catalog, unmanaged, {"t1": inspect("traefik:2")})
    assert rows == []
    assert blocked == ["container proxy holds port 443 of container traefik of unit traefik/production but no catalog "
                       "container name: stop or remove it (adopt takes over containers by their names)"]


def test_the_port_of_a_container_taken_over_by_name_does_not_block(catalog):
    unmanaged = [holder("traefik", "t1"), holder("traefik", "t1", holds="port 443 of container traefik", port=443)]
    rows, dummy, blocked = container_rows(catalog, unmanaged, {"t1": inspect("traefik:2")})
    assert [r["container"] for r in rows] == ["traefik"] and blocked == []


def test_owner_roles_map_to_the_catalogs(catalog):
    found = {"databases": [{"name": "auth_db", "owner": "auth_user"}, {"name": "l2p_db", "owner": "l2p_owner"},
                           {"name": "unrelated", "owner": "someone"}]}
    rows, owners = owner_rows(catalog, "production", found)
    assert owners == {"l2p_db": "l2p_owner"}
    by_db = dict((r["database"], r) for r in rows)
    assert "unrelated" not in by_db
    assert by_db["auth_db"]["plan"] == "kept with its owner auth_user and its password from the vault"
    assert by_db["l2p_db"]["plan"].startswith("kept; l2p_user gets every object of l2p_owner (REASSIGN OWNED)")
    assert by_db["payment_db"]["plan"] == "not there: created empty, owned by payment_user"
