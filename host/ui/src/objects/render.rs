//! The generic object templates (`templates/generic/`), embedded in the binary and
//! compiled with the core templates (`ui::templates`).

/// The templates, from `templates/generic/` in the repository.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "generic/object_list.html",
        include_str!("../../../../templates/generic/object_list.html"),
    ),
    (
        "generic/object_detail.html",
        include_str!("../../../../templates/generic/object_detail.html"),
    ),
    (
        "generic/object_edit.html",
        include_str!("../../../../templates/generic/object_edit.html"),
    ),
    (
        "generic/object_delete.html",
        include_str!("../../../../templates/generic/object_delete.html"),
    ),
    (
        "generic/object_bulk_edit.html",
        include_str!("../../../../templates/generic/object_bulk_edit.html"),
    ),
    (
        "generic/object_bulk_delete.html",
        include_str!("../../../../templates/generic/object_bulk_delete.html"),
    ),
    (
        "generic/object_import.html",
        include_str!("../../../../templates/generic/object_import.html"),
    ),
    (
        "generic/object_changelog.html",
        include_str!("../../../../templates/generic/object_changelog.html"),
    ),
    (
        "generic/object_config_context.html",
        include_str!("../../../../templates/generic/object_config_context.html"),
    ),
    (
        "generic/object_secret.html",
        include_str!("../../../../templates/generic/object_secret.html"),
    ),
    (
        "generic/_macros.html",
        include_str!("../../../../templates/generic/_macros.html"),
    ),
    (
        "generic/_style.html",
        include_str!("../../../../templates/generic/_style.html"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_generic_template_once() {
        let mut names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TEMPLATES.len());
        assert!(names.iter().all(|n| n.starts_with("generic/")));
    }
}
