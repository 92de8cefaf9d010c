//! The plugin set a database was last migrated with (`nautobot_plugin_set`): each plugin's
//! name and version, and the server's own as `nautobot-server`. `migrate` records it;
//! every server and worker checks at start that it loads exactly that set, so that
//! several nodes sharing one database cannot run different plugins or versions against
//! the same tables. A database migrated before the record existed has an empty one,
//! which checks nothing until the next `migrate`.

use std::collections::BTreeMap;

use super::{
    dynamic::{self, Sql, SqlValue},
    Database,
};
use nautobot_base::error::{Error, Result};

/// The name the server's own version is recorded under.
pub const SERVER: &str = "nautobot-server";

/// The recorded set: name → version (empty when nothing is recorded yet).
pub fn recorded(db: &Database) -> Result<BTreeMap<String, String>> {
    let mut conn = db.conn()?;
    let sql = Sql::from(match dynamic::backend_of(&conn) {
        super::Backend::Sqlite => {
            "SELECT json_object('name', name, 'version', version) AS row FROM nautobot_plugin_set"
        }
        super::Backend::Postgres => {
            "SELECT json_build_object('name', name, 'version', version)::text AS row FROM nautobot_plugin_set"
        }
    });
    let rows = dynamic::query_json(&mut conn, &sql)?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get("name")?.as_str()?.to_string(),
                r.get("version")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

/// Records `set` (name → version, the server's included) as the database's, replacing
/// what was recorded.
pub fn record(db: &Database, set: &BTreeMap<String, String>) -> Result<()> {
    let mut conn = db.conn()?;
    super::write_transaction(&mut conn, |conn| -> Result<()> {
        dynamic::execute(conn, &Sql::from("DELETE FROM nautobot_plugin_set"))?;
        for (name, version) in set {
            let mut sql = Sql::from("INSERT INTO nautobot_plugin_set (name, version) VALUES (");
            sql.bind(SqlValue::text(name))
                .push(", ")
                .bind(SqlValue::text(version))
                .push(")");
            dynamic::execute(conn, &sql)?;
        }
        Ok(())
    })
}

/// Takes `plugin` out of the recorded set (after `migrate <plugin> zero`).
pub fn forget(db: &Database, plugin: &str) -> Result<()> {
    let mut conn = db.conn()?;
    let mut sql = Sql::from("DELETE FROM nautobot_plugin_set WHERE name = ");
    sql.bind(SqlValue::text(plugin));
    dynamic::execute(&mut conn, &sql)?;
    Ok(())
}

/// How `here` (this process's set) differs from `recorded`, one phrase per difference;
/// empty when they agree or nothing is recorded.
pub fn differences(
    here: &BTreeMap<String, String>,
    recorded: &BTreeMap<String, String>,
) -> Vec<String> {
    if recorded.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, version) in recorded {
        match here.get(name) {
            None => out.push(format!("{name} {version} is not loaded here")),
            Some(v) if v != version => {
                out.push(format!("{name} is {v} here, {version} in the database"))
            }
            Some(_) => {}
        }
    }
    for (name, version) in here {
        if !recorded.contains_key(name) {
            out.push(format!(
                "{name} {version} is loaded here but not in the database's set"
            ));
        }
    }
    out
}

/// Refuses a process whose set differs from the database's.
pub fn check(db: &Database, here: &BTreeMap<String, String>) -> Result<()> {
    let differences = differences(here, &recorded(db)?);
    if differences.is_empty() {
        return Ok(());
    }
    Err(Error::Database(format!(
        "the plugins here differ from those {} was migrated with ({}): every server and worker sharing a database must load the same plugins at the same versions; after changing PLUGINS or installing a plugin, run `nautobot-server migrate`",
        db.display(),
        differences.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn differences_name_each_plugin() {
        let recorded = set(&[(SERVER, "1.1.0"), ("a", "1.0.0"), ("b", "2.0.0")]);
        assert!(differences(&recorded, &recorded).is_empty());
        assert!(differences(&set(&[("x", "1")]), &BTreeMap::new()).is_empty());
        let here = set(&[(SERVER, "1.1.0"), ("b", "2.1.0"), ("c", "0.1.0")]);
        assert_eq!(
            differences(&here, &recorded),
            vec![
                "a 1.0.0 is not loaded here",
                "b is 2.1.0 here, 2.0.0 in the database",
                "c 0.1.0 is loaded here but not in the database's set",
            ]
        );
    }
}
