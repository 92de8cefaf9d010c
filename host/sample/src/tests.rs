//! Loading a tiny sample network into real SQLite databases.

use nautobot_plugin_abi::{
    FieldSchema, Migration, ModelSchema, OnDelete, Operation, PluginManifest, ValidationRequest,
};
use serde_json::json;

use super::*;
use nautobot_config::DatabaseUrl;
use nautobot_objects::NoHooks;
use nautobot_schema::{self as schema, catalog::Catalog};

struct Env {
    _dir: tempfile::TempDir,
    db: Database,
    catalog: Catalog,
}

fn env(plugins: &[&PluginManifest]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3"))).unwrap();
    nautobot_db::migrations::migrate(&db).unwrap();
    let catalog = Catalog::build(plugins).unwrap();
    schema::migrate::migrate(&db, &catalog.plan).unwrap();
    Env {
        _dir: dir,
        db,
        catalog,
    }
}

fn tiny() -> Sizes {
    Sizes {
        regions: 2,
        sites_per_region: 2,
        rooms_per_site: 2,
        devices_per_site: 2,
        interfaces_per_device: 3,
        extra_prefixes_per_namespace: 2,
        addresses_per_extra_prefix: 2,
        plugin_objects_per_model: 4,
        tagged_per_tag: 2,
    }
}

impl Env {
    fn count(&self, table: &str, filter: &str) -> i64 {
        let mut conn = self.db.conn().unwrap();
        let sql = format!("SELECT COUNT(*) AS count FROM {table} {filter}");
        dynamic::query_count(&mut conn, &Sql::from(sql)).unwrap()
    }

    fn load(&self, hooks: &dyn Hooks) -> Result<Summary> {
        let progress = progress::Recorded::default();
        let summary = load(
            &self.db,
            &self.catalog.registry,
            hooks,
            "tiny",
            tiny(),
            &progress,
        )?;
        let lines = progress.lines.into_inner();
        assert_eq!(lines.len(), summary.stages.len(), "{lines:?}");
        Ok(summary)
    }

    fn inspect(&self) -> Found {
        inspect(&mut self.db.conn().unwrap(), &self.catalog.registry).unwrap()
    }
}

#[test]
fn a_tiny_network_is_complete_consistent_and_logged() {
    let env = env(&[]);
    assert_eq!(env.inspect(), Found::Empty);
    let summary = env.load(&NoHooks).unwrap();
    let s = tiny();
    assert_eq!(env.count("dcim_location", ""), s.locations() as i64);
    assert_eq!(summary.created_of("dcim.location"), s.locations() as u64);
    assert_eq!(env.count("dcim_device", ""), s.devices() as i64);
    assert_eq!(env.count("dcim_interface", ""), s.interfaces() as i64);
    assert_eq!(env.count("ipam_ipaddress", ""), s.ip_addresses() as i64);
    assert_eq!(env.count("ipam_prefix", ""), s.prefixes() as i64);
    assert_eq!(env.count("ipam_vlan", ""), s.vlans() as i64);
    assert_eq!(env.count("ipam_namespace", ""), 4);
    assert_eq!(summary.refused(), 0);
    // Every write is in the change log, as one request.
    assert_eq!(
        env.count("extras_objectchange", ""),
        summary.written() as i64 + 1,
        "the marker's final update too"
    );
    let mut conn = env.db.conn().unwrap();
    let requests = Sql::from("SELECT COUNT(DISTINCT request_id) AS count FROM extras_objectchange");
    assert_eq!(dynamic::query_count(&mut conn, &requests).unwrap(), 1);
    drop(conn);
    // Rooms under sites under regions.
    assert_eq!(
        env.count(
            "dcim_location room JOIN dcim_location site ON room.parent_id = site.id \
             JOIN dcim_location region ON site.parent_id = region.id \
             JOIN dcim_locationtype t ON room.location_type_id = t.id",
            "WHERE room.name = 'Room 00004-2' AND site.name = 'Site 00004' \
             AND region.name = 'Region 002' AND t.name = 'Room'"
        ),
        1
    );
    // Each device's primary IPv4 is its mgmt0 address, which names the interface.
    assert_eq!(
        env.count(
            "dcim_device d JOIN ipam_ipaddress ip ON d.primary_ip4_id = ip.id",
            "WHERE ip.dns_name = 'mgmt0.' || d.name || '.sample.net'"
        ),
        s.devices() as i64
    );
    assert_eq!(
        env.count(
            "ipam_ipaddress",
            "WHERE address = '10.0.0.35/24' AND dns_name = 'ethernet1-2.dev-00002.sample.net'"
        ),
        1
    );
    // Tagged: both regions with the marker, and some sites, devices and lab prefixes.
    assert_eq!(
        env.count(
            "extras_taggeditem ti JOIN extras_tag t ON ti.tag_id = t.id",
            "WHERE t.name = 'sample-data' AND ti.content_type = 'dcim.location'"
        ),
        2
    );
    assert!(env.count("extras_taggeditem", "") > 2);
    assert_eq!(env.inspect(), Found::Loaded { complete: true });
    let refusal = env.inspect().refusal().unwrap();
    assert_eq!(refusal.exit_code(), 8);
    assert!(
        refusal
            .to_string()
            .starts_with("The sample network is already loaded (found tag 'sample-data')"),
        "{refusal}"
    );
    assert!(summary.line().contains("objects/s"), "{}", summary.line());
}

/// Refuses the second site, as a plugin validator would.
struct RefuseSite;

impl Hooks for RefuseSite {
    fn validate(
        &self,
        _conn: &mut nautobot_db::DbConnection,
        request: &ValidationRequest,
    ) -> Result<()> {
        if request.model == "dcim.location" && request.str("name") == Some("Site 00002") {
            return Err(Error::field("name", "No second sites here."));
        }
        Ok(())
    }
}

#[test]
fn a_refused_object_is_counted_and_what_needs_it_is_skipped() {
    let env = env(&[]);
    let summary = env.load(&RefuseSite).unwrap();
    let s = tiny();
    assert_eq!(summary.refused(), 1);
    let sites = summary
        .stages
        .iter()
        .find(|st| st.what == "locations (sites)")
        .unwrap();
    assert_eq!(sites.refused, 1);
    assert!(
        sites
            .note
            .as_deref()
            .unwrap()
            .contains("location 'Site 00002'"),
        "{sites:?}"
    );
    let skipped = |what: &str| {
        summary
            .stages
            .iter()
            .find(|st| st.what == what)
            .unwrap()
            .skipped
    };
    assert_eq!(skipped("locations (rooms)"), s.rooms_per_site as u64);
    assert_eq!(skipped("devices"), s.devices_per_site as u64);
    assert_eq!(skipped("VLANs"), plan::SITE_VLANS.len() as u64);
    assert_eq!(skipped("prefixes"), 1);
    assert_eq!(
        skipped("IP addresses"),
        (s.devices_per_site * s.interfaces_per_device) as u64
    );
    assert_eq!(
        skipped("interfaces"),
        (s.devices_per_site * s.interfaces_per_device) as u64
    );
    assert_eq!(
        env.count("dcim_location", ""),
        (s.locations() - 1 - s.rooms_per_site) as i64
    );
    assert_eq!(env.count("dcim_location", "WHERE name = 'Site 00002'"), 0);
    assert_eq!(
        env.count("dcim_device", ""),
        (s.devices() - s.devices_per_site) as i64
    );
}

#[test]
fn a_database_with_objects_is_not_empty() {
    let env = env(&[]);
    let actor = Actor::system();
    let writer = Writer::new(&env.catalog.registry, &actor, &NoHooks);
    let mut conn = env.db.conn().unwrap();
    let registry = &env.catalog.registry;
    let lt = writer
        .create(
            &mut conn,
            registry.get("dcim.locationtype").unwrap(),
            &json!({"name": "Campus"}),
        )
        .unwrap();
    writer
        .create(
            &mut conn,
            registry.get("dcim.location").unwrap(),
            &json!({"name": "HQ", "location_type": lt["id"], "status": "Active"}),
        )
        .unwrap();
    drop(conn);
    let found = env.inspect();
    assert_eq!(found, Found::NotEmpty(vec![("location".into(), 1)]));
    assert_eq!(
        found.refusal().unwrap().to_string(),
        "The database is not empty (found 1 location); load the sample network into an empty database."
    );
}

fn plugin() -> PluginManifest {
    let gadget = ModelSchema::new("gadgets", "gadget")
        .field(FieldSchema::char("name", 12).unique())
        .field(FieldSchema::boolean("flag").unique())
        .field(FieldSchema::foreign_key(
            "location",
            "dcim.location",
            OnDelete::Cascade,
        ))
        .field(FieldSchema::foreign_key(
            "part",
            "gadgets.part",
            OnDelete::Protect,
        ));
    let part = ModelSchema::new("gadgets", "part").field(FieldSchema::integer("size"));
    PluginManifest {
        name: "gadgets".into(),
        base_url: "gadgets".into(),
        migrations: vec![Migration::new("gadgets", "0001_initial")
            .depends_on("dcim", "0001_initial")
            .operation(Operation::CreateModel {
                model: part.clone(),
            })
            .operation(Operation::CreateModel {
                model: gadget.clone(),
            })],
        models: vec![gadget, part],
        ..Default::default()
    }
}

#[test]
fn plugin_models_are_filled_from_their_fields_in_dependency_order() {
    let manifest = plugin();
    let env = env(&[&manifest]);
    let summary = env.load(&NoHooks).unwrap();
    // Parts first (gadgets need one); a unique boolean allows two gadgets only: the
    // others are refused by the model layer's uniqueness check and counted.
    assert_eq!(env.count("gadgets_part", ""), 4);
    assert_eq!(env.count("gadgets_gadget", ""), 2);
    let gadgets = summary
        .stages
        .iter()
        .find(|s| s.model == "gadgets.gadget")
        .unwrap();
    assert_eq!((gadgets.created, gadgets.refused), (2, 2));
    let order: Vec<&str> = summary
        .stages
        .iter()
        .filter(|s| s.model.starts_with("gadgets."))
        .map(|s| s.model.as_str())
        .collect();
    assert_eq!(order, ["gadgets.part", "gadgets.gadget"]);
    assert_eq!(
        env.count(
            "gadgets_gadget g JOIN dcim_location l ON g.location_id = l.id",
            ""
        ),
        2
    );
}

#[test]
fn the_sqlite_page_cache_is_enlarged_for_the_load_only() {
    let env = env(&[]);
    let mut conn = env.db.conn().unwrap();
    let size = |conn: &mut DbConnection| {
        let sql = Sql::from("SELECT cache_size AS count FROM pragma_cache_size()");
        dynamic::query_count(conn, &sql).unwrap()
    };
    let default = size(&mut conn);
    assert_eq!(enlarge_sqlite_cache(&mut conn).unwrap(), Some(default));
    assert_eq!(size(&mut conn), -SQLITE_CACHE_KIB);
    set_sqlite_cache(&mut conn, default).unwrap();
    assert_eq!(size(&mut conn), default);
}
