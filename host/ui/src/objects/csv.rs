//! CSV as RFC 4180 has it: written for exports (fields quoted when they need it, quotes
//! doubled, CRLF line ends) and read for imports (quoted fields may hold commas,
//! quotes and line breaks; blank lines are skipped).
//!
//! Exports are safe to open in a spreadsheet: a cell a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return, OWASP's list) gets a
//! leading `'`, unless it is a plain number such as `-5`. Imports take that `'` off
//! again, so an exported file imports back to the same values.

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_formula(value: &str) -> bool {
    value.starts_with(FORMULA_START) && value.trim().parse::<f64>().is_err()
}

/// `value` as a spreadsheet may safely open it: formulas (and values that look like an
/// already neutralised formula) get a leading `'`.
fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    if is_formula(value) || value.strip_prefix('\'').is_some_and(is_formula) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// What [`neutralise`] wrote, back to the value.
fn restore(value: String) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if is_formula(rest) || rest.strip_prefix('\'').is_some_and(is_formula) => {
            rest.to_string()
        }
        _ => value,
    }
}

/// One field, neutralised if a spreadsheet would run it, quoted if it holds a comma, a
/// quote, a line break or edge spaces.
pub fn field(value: &str) -> String {
    let value = neutralise(value);
    let value = value.as_ref();
    let needs_quotes =
        value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// One record, with its line end.
pub fn record<S: AsRef<str>>(values: &[S]) -> String {
    let mut line = values
        .iter()
        .map(|v| field(v.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// A whole document: the header, then the rows.
pub fn document<S: AsRef<str>>(header: &[S], rows: &[Vec<String>]) -> String {
    let mut out = record(header);
    for row in rows {
        out.push_str(&record(row));
    }
    out
}

/// Parses a CSV document into records; an unterminated quote is an error. Records made
/// only of one empty field (blank lines) are dropped.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quoted_field = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut line = 1;
    let mut quote_line = 0;
    let finish_record = |record: &mut Vec<String>, records: &mut Vec<Vec<String>>| {
        let blank = record.len() == 1 && record[0].trim().is_empty();
        if !blank {
            records.push(std::mem::take(record));
        } else {
            record.clear();
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !quoted_field => {
                field.clear();
                in_quotes = true;
                quoted_field = true;
                quote_line = line;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                quoted_field = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                quoted_field = false;
                finish_record(&mut record, &mut records);
                line += 1;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!(
            "Line {quote_line}: a quoted field is never closed."
        ));
    }
    if !field.is_empty() || !record.is_empty() || quoted_field {
        record.push(field);
        finish_record(&mut record, &mut records);
    }
    Ok(records
        .into_iter()
        .map(|record| record.into_iter().map(restore).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_come_back_on_import() {
        for (value, exported) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+1+2", "'+1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-2+3", "'-2+3"),
            ("\tx", "'\tx"),
            ("'=x", "''=x"),
            ("-5", "-5"),
            ("+3.5", "+3.5"),
            ("'plain", "'plain"),
            ("plain", "plain"),
        ] {
            assert_eq!(field(value), exported, "{value:?}");
            let back = parse(&document(&["v"], &[vec![value.to_string()]])).unwrap();
            assert_eq!(back[1], vec![value.to_string()], "{value:?}");
        }
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(" edge"), "\" edge\"");
        assert_eq!(record(&["a", "b,c", ""]), "a,\"b,c\",\r\n");
        assert_eq!(
            document(&["name", "n"], &[vec!["x".into(), "1".into()]]),
            "name,n\r\nx,1\r\n"
        );
    }

    #[test]
    fn parsing_undoes_writing() {
        let rows = vec![
            vec!["name".to_string(), "description".to_string()],
            vec!["A, Inc.".to_string(), "say \"hi\"\nbye".to_string()],
            vec!["B".to_string(), String::new()],
        ];
        let text = document(&rows[0], &rows[1..]);
        assert_eq!(parse(&text).unwrap(), rows);
    }

    #[test]
    fn parsing_is_lenient_about_line_ends_and_blank_lines() {
        let parsed = parse("name,number\nA,1\r\n\nB,2").unwrap();
        assert_eq!(
            parsed,
            vec![
                vec!["name".to_string(), "number".to_string()],
                vec!["A".to_string(), "1".to_string()],
                vec!["B".to_string(), "2".to_string()],
            ]
        );
        assert_eq!(parse("").unwrap(), Vec::<Vec<String>>::new());
        assert_eq!(
            parse("a,\"\"\n").unwrap(),
            vec![vec!["a".to_string(), String::new()]]
        );
        assert!(parse("a,\"open\nb").unwrap_err().contains("Line 1"));
    }
}
