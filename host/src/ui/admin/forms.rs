//! What the admin templates take: submitted forms, form fields with their errors, and
//! change-list rows.

use serde::Serialize;

use crate::error::ValidationErrors;

/// A submitted `application/x-www-form-urlencoded` body: every pair, in order.
#[derive(Debug, Clone, Default)]
pub struct PostedForm {
    pairs: Vec<(String, String)>,
}

impl PostedForm {
    /// Parses a form body (anything else yields an empty form).
    pub fn parse(body: &[u8]) -> PostedForm {
        PostedForm {
            pairs: url::form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `key`, as sent.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key` without surrounding white space ("" when absent), as
    /// Django's character fields clean it.
    pub fn text(&self, key: &str) -> String {
        self.first(key).unwrap_or_default().trim().to_string()
    }

    /// Every non-empty value of `key` (multiple selects and checkbox groups).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Whether the checkbox `key` was ticked.
    pub fn checked(&self, key: &str) -> bool {
        self.first(key)
            .is_some_and(|v| matches!(v, "on" | "true" | "True" | "1" | "yes"))
    }
}

/// One option of a select or checkbox group.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What it shows.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// `options` as choices, those in `selected` selected.
pub fn choices<I>(options: I, selected: &[String]) -> Vec<Choice>
where
    I: IntoIterator<Item = (String, String)>,
{
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: selected.contains(&value),
            value,
            label,
        })
        .collect()
}

/// A form field as `admin/change_form.html` renders it.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// The input name (the id is `id_<name>`).
    pub name: &'static str,
    /// The label.
    pub label: &'static str,
    /// `text`, `email`, `password`, `textarea`, `checkbox`, `select`, `multiselect`,
    /// `checkboxes` or `datetime`.
    pub kind: &'static str,
    /// The current value (text inputs).
    pub value: String,
    /// Whether a checkbox is ticked.
    pub checked: bool,
    /// The options of selects and checkbox groups.
    pub choices: Vec<Choice>,
    /// Whether the field must be filled in.
    pub required: bool,
    /// Help text.
    pub help: String,
    /// Validation messages.
    pub errors: Vec<String>,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str) -> Field {
        Field {
            name,
            label,
            kind,
            value: String::new(),
            checked: false,
            choices: Vec::new(),
            required: false,
            help: String::new(),
            errors: Vec::new(),
        }
    }

    /// A text input (`kind` `text`, `email`, `password`, `textarea` or `datetime`).
    pub fn input(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        value: &str,
    ) -> Field {
        Field {
            value: value.to_string(),
            ..Field::new(name, label, kind)
        }
    }

    /// A checkbox.
    pub fn checkbox(name: &'static str, label: &'static str, checked: bool) -> Field {
        Field {
            checked,
            ..Field::new(name, label, "checkbox")
        }
    }

    /// A select, multiple select or checkbox group (`kind`) of `choices`.
    pub fn choice(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        choices: Vec<Choice>,
    ) -> Field {
        Field {
            choices,
            ..Field::new(name, label, kind)
        }
    }

    /// The field marked required.
    pub fn required(self) -> Field {
        Field {
            required: true,
            ..self
        }
    }

    /// The field with help text.
    pub fn help(self, help: &str) -> Field {
        Field {
            help: help.to_string(),
            ..self
        }
    }
}

/// Puts each message of `errors` on its field; returns those that name no field.
pub fn attach_errors(fields: &mut [Field], errors: &ValidationErrors) -> Vec<String> {
    let mut other = Vec::new();
    for (name, messages) in errors {
        match fields.iter_mut().find(|f| f.name == name) {
            Some(field) => field.errors.extend(messages.iter().cloned()),
            None => other.extend(messages.iter().cloned()),
        }
    }
    other
}

/// A cell of a change list.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The text shown.
    pub text: String,
    /// A link, if the cell is one.
    pub url: Option<String>,
    /// For yes/no columns: the value, shown as an icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<bool>,
    /// Whether to show the text as code.
    pub code: bool,
}

impl Cell {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            url: None,
            flag: None,
            code: false,
        }
    }

    /// A link.
    pub fn link(text: impl Into<String>, url: impl Into<String>) -> Cell {
        Cell {
            url: Some(url.into()),
            ..Cell::text(text)
        }
    }

    /// A yes/no value.
    pub fn flag(value: bool) -> Cell {
        Cell {
            flag: Some(value),
            ..Cell::text(if value { "Yes" } else { "No" })
        }
    }

    /// Monospaced text.
    pub fn code(text: impl Into<String>) -> Cell {
        Cell {
            code: true,
            ..Cell::text(text)
        }
    }
}

/// A row of a change list.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The object's id (`data-id`).
    pub id: String,
    /// The object's name (`data-name`).
    pub name: String,
    /// The cells, in column order.
    pub cells: Vec<Cell>,
    /// The delete page.
    pub delete_url: String,
}
