//! `createsuperuser` and `createuser`.

use std::io::{BufRead, IsTerminal, Write};

use diesel::Connection;

use nautobot_auth::{permissions, tokens, users};
use nautobot_base::error::{Error, Result};
use nautobot_config::Settings;
use nautobot_db::{migrations, Database, DbConnection};

fn database(settings: &Settings) -> Result<Database> {
    let db = Database::open(settings)?;
    if migrations::has_pending(&db)? {
        return Err(Error::Database(format!(
            "{} has unapplied migrations: run `nautobot-server migrate` first",
            db.display()
        )));
    }
    Ok(db)
}

/// Asks for a value on the terminal; without a terminal the flag is required.
fn ask(label: &str, flag: &str, secret: bool) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "{flag} is required when not running interactively"
        )));
    }
    if secret {
        return rpassword::prompt_password(format!("{label}: "))
            .map_err(|e| Error::Usage(format!("cannot read {label}: {e}")));
    }
    print!("{label}: ");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Usage(format!("cannot read {label}: {e}")))?;
    Ok(line.trim().to_string())
}

/// Creates a superuser (and a token with `--token`).
pub fn createsuperuser(
    settings: &Settings,
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    token: Option<String>,
) -> Result<()> {
    let username = match username {
        Some(u) => u,
        None => ask("Username", "--username", false)?,
    };
    let email = match email {
        Some(e) => e,
        None => ask("Email address", "--email", false)?,
    };
    let password = match password {
        Some(p) => p,
        None => {
            let first = ask("Password", "--password", true)?;
            let again = ask("Password (again)", "--password", true)?;
            if first != again {
                return Err(Error::Usage("the two passwords differ".to_string()));
            }
            first
        }
    };
    let db = database(settings)?;
    let mut conn = db.conn()?;
    let key = create(
        &mut conn,
        &username,
        &email,
        &password,
        true,
        &[],
        token.as_deref(),
        true,
    )?;
    println!("Superuser created successfully.");
    if let Some(key) = key {
        println!("API token created: {key}");
    }
    Ok(())
}

/// Creates a regular user with permissions (and a token with `--token`).
pub fn createuser(
    settings: &Settings,
    username: &str,
    email: &str,
    password: &str,
    permissions: &[String],
    token: Option<&str>,
    write_enabled: bool,
) -> Result<()> {
    for permission in permissions {
        if permissions::Permission::parse(permission).is_none() {
            return Err(Error::Usage(format!(
                "'{permission}' is not a permission: expected app_label.action_model, such as dcim.view_location"
            )));
        }
    }
    let db = database(settings)?;
    let mut conn = db.conn()?;
    let key = create(
        &mut conn,
        username,
        email,
        password,
        false,
        permissions,
        token,
        write_enabled,
    )?;
    println!("User {username} created.");
    if let Some(key) = key {
        println!("API token created: {key}");
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn create(
    conn: &mut DbConnection,
    username: &str,
    email: &str,
    password: &str,
    superuser: bool,
    permissions: &[String],
    token: Option<&str>,
    write_enabled: bool,
) -> Result<Option<String>> {
    // The same checks as the API's.
    if let Some(message) = users::username_error(username) {
        return Err(Error::Usage(format!("username: {message}")));
    }
    if !email.is_empty() && !users::looks_like_email(email) {
        return Err(Error::Usage(format!(
            "email: Enter a valid email address (not '{email}')."
        )));
    }
    conn.transaction(|conn| {
        let user = users::create(
            conn,
            &users::NewUser {
                username,
                email,
                password,
                superuser,
            },
        )?;
        for permission in permissions {
            permissions::grant(conn, &user.id, username, permission)?;
        }
        token
            .map(|key| tokens::create(conn, &user.id, Some(key), write_enabled))
            .transpose()
    })
}
