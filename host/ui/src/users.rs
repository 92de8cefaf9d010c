//! The `users` app's pages are the generic model pages (`/users/users/`,
//! `/users/groups/`, `/users/tokens/`, `/users/permissions/`: `auth::models`). This
//! module keeps the addresses people know from Nautobot and from the admin pages this
//! server used to have — `/admin/users/<model>/…`, `/user/api-tokens/` — as redirects
//! to them.

use actix_web::{http::header, HttpRequest, HttpResponse};

use nautobot_app::routes::{Access, Routes};

/// The generic list path of the `users` model named as Django's admin names it.
fn list_path(model: &str) -> Option<&'static str> {
    match model {
        "user" => Some("/users/users/"),
        "group" => Some("/users/groups/"),
        "token" => Some("/users/tokens/"),
        "objectpermission" => Some("/users/permissions/"),
        _ => None,
    }
}

/// Where an old address now lives, if it is one of them.
pub fn new_path(old: &str) -> Option<String> {
    if matches!(old, "/admin/" | "/admin/users/") {
        return Some("/users/users/".into());
    }
    if old == "/user/api-tokens/" {
        return Some("/users/tokens/".into());
    }
    let rest = old.strip_prefix("/admin/users/")?;
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let list = list_path(parts.first()?)?;
    match parts[1..] {
        [] => Some(list.into()),
        ["add"] => Some(format!("{list}add/")),
        [id, "change"] if uuid::Uuid::parse_str(id).is_ok() => Some(format!("{list}{id}/edit/")),
        [id, "delete"] if uuid::Uuid::parse_str(id).is_ok() => Some(format!("{list}{id}/delete/")),
        [id] if uuid::Uuid::parse_str(id).is_ok() => Some(format!("{list}{id}/")),
        _ => None,
    }
}

/// Registers the redirects (anyone may follow them; the pages they lead to check).
pub fn routes(routes: &mut Routes<'_>) {
    for path in [
        "/admin/",
        "/admin/users/",
        "/admin/users/{tail:.*}",
        "/user/api-tokens/",
    ] {
        routes.at(path).get(Access::Public, redirect).register();
    }
}

async fn redirect(req: HttpRequest) -> HttpResponse {
    match new_path(req.path()) {
        Some(location) => HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, location))
            .finish(),
        None => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::new_path;

    #[test]
    fn old_admin_addresses_lead_to_the_model_pages() {
        let id = "6f1c1a4e-2b1d-4c3e-9f00-0123456789ab";
        assert_eq!(new_path("/admin/").as_deref(), Some("/users/users/"));
        assert_eq!(
            new_path("/admin/users/objectpermission/").as_deref(),
            Some("/users/permissions/")
        );
        assert_eq!(
            new_path("/admin/users/group/add/").as_deref(),
            Some("/users/groups/add/")
        );
        assert_eq!(
            new_path(&format!("/admin/users/user/{id}/change/")),
            Some(format!("/users/users/{id}/edit/"))
        );
        assert_eq!(
            new_path("/user/api-tokens/").as_deref(),
            Some("/users/tokens/")
        );
        assert_eq!(new_path("/admin/users/nothing/"), None);
        assert_eq!(new_path("/admin/users/user/../../x/change/"), None);
    }
}
