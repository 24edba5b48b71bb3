//! How the commands print what the server answered: for people, aligned tables with dates in
//! ISO-8601 local time (the default); for scripts, the JSON as the server sent it (`--json`).

use chrono::{Local, TimeZone};
use comfy_table::{CellAlignment, Table, presets};
use serde_json::{Map, Value};

/// The output format every command shares (`--json` on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

impl Format {
    pub fn new(json: bool) -> Format {
        if json { Format::Json } else { Format::Human }
    }

    /// Prints `v`. An empty answer (`null`, HTTP 204) prints `done` for people and nothing
    /// for scripts, which read the exit status.
    pub fn print(self, v: &Value) {
        if v.is_null() && self == Format::Human {
            println!("done");
            return;
        }
        let text = self.render(v);
        if !text.is_empty() {
            println!("{text}");
        }
    }

    /// `v` as this format shows it, without a trailing line break.
    pub fn render(self, v: &Value) -> String {
        match self {
            Format::Json if v.is_null() => String::new(),
            Format::Json => serde_json::to_string_pretty(v).unwrap_or_default(),
            Format::Human => human(v),
        }
    }
}

/// Fields holding Unix seconds: shown as local dates.
fn is_time_field(key: &str) -> bool {
    matches!(key, "at" | "since" | "until" | "exp" | "iat") || key.ends_with("_at") || key.ends_with("_until")
}

/// Unix seconds as ISO-8601 in the local time zone, e.g. `2026-11-26T15:04:05+01:00`.
pub fn local_time(secs: i64) -> Option<String> {
    Local.timestamp_opt(secs, 0).single().map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// A moment given on the command line: Unix seconds, an RFC 3339 date and time, a local date
/// and time (`2026-11-26T15:04:05` or with a space), or a date (local midnight).
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    naive.and_then(|n| Local.from_local_datetime(&n).earliest()).map(|t| t.timestamp()).ok_or_else(|| {
        format!("{s:?} is not a date (2026-11-26), a date and time (2026-11-26T15:04:05) or Unix seconds")
    })
}

/// One cell: strings bare, times as dates, lists joined, nested objects as compact JSON.
fn cell(key: &str, v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Number(n) if is_time_field(key) => n.as_i64().and_then(local_time).unwrap_or_else(|| n.to_string()),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let parts: Vec<String> = items.iter().map(|i| cell(key, i)).collect();
            if parts.is_empty() { "-".to_owned() } else { parts.join(", ") }
        }
        other => other.to_string(),
    }
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t
}

/// Where a column goes: what names the row first, long text last, the rest in between (the
/// server's JSON objects have no order of their own).
fn column_rank(key: &str) -> (usize, String) {
    const FIRST: &[&str] = &[
        "seq",
        "at",
        "code",
        "client_id",
        "corp_id",
        "union_id",
        "user_id",
        "scope",
        "name",
        "kind",
        "status",
        "tier",
        "actor",
        "action",
        "target",
    ];
    const LAST: &[&str] = &["description", "detail", "reason", "message", "hash"];
    match (FIRST.iter().position(|k| *k == key), LAST.iter().position(|k| *k == key)) {
        (Some(i), _) => (i, String::new()),
        (None, Some(i)) => (FIRST.len() + 2 + i, String::new()),
        (None, None) => (FIRST.len() + 1, key.to_owned()),
    }
}

/// A list of objects as a table: one row each, the columns in the order the keys first appear.
fn rows(items: &[Value]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    if !items.iter().all(Value::is_object) {
        return items.iter().map(|i| cell("", i)).collect::<Vec<_>>().join("\n");
    }
    let mut columns: Vec<&str> = Vec::new();
    for item in items {
        for key in item.as_object().into_iter().flat_map(Map::keys) {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    columns.sort_by_key(|c| column_rank(c));
    let mut t = new_table();
    t.set_header(columns.iter().map(|c| c.to_uppercase().replace('_', " ")));
    for item in items {
        t.add_row(columns.iter().map(|c| cell(c, item.get(*c).unwrap_or(&Value::Null))));
    }
    for (i, c) in columns.iter().enumerate() {
        let numeric = items.iter().all(|item| item.get(*c).is_none_or(|v| v.is_number() && !is_time_field(c)));
        if numeric && let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    trim_lines(&t.to_string())
}

/// An object: its plain fields as `key  value` lines, then each list of objects as a table
/// under its name.
fn record(map: &Map<String, Value>) -> String {
    let mut out = Vec::new();
    let mut t = new_table();
    let mut plain = 0;
    for (k, v) in map {
        if is_nested(v) {
            continue;
        }
        t.add_row(vec![format!("{}:", k.replace('_', " ")), cell(k, v)]);
        plain += 1;
    }
    if plain > 0 {
        out.push(trim_lines(&t.to_string()));
    }
    for (k, v) in map {
        if !is_nested(v) {
            continue;
        }
        let body = match v {
            Value::Array(items) => rows(items),
            Value::Object(m) => record(m),
            _ => continue,
        };
        out.push(format!("{}:\n{}", k.replace('_', " "), indent(&body)));
    }
    out.join("\n\n")
}

fn is_nested(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(items) => items.iter().any(|i| i.is_object() || i.is_array()),
        _ => false,
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| if l.is_empty() { String::new() } else { format!("  {l}") }).collect::<Vec<_>>().join("\n")
}

/// comfy-table pads every line to the table's width and starts it with a space; neither helps
/// a terminal reader.
fn trim_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    let lead = lines.iter().filter(|l| !l.is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    lines.iter().map(|l| l.get(lead..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn human(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Array(items) => rows(items),
        Value::Object(map) => record(map),
        other => cell("", other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_list_is_an_aligned_table_with_local_dates() {
        let v = json!([
            {"client_id": "dingdemo", "scope": "qyapi_get_member", "updated_at": 0},
            {"client_id": "a", "scope": "hr.attendance.read", "updated_at": 1_700_000_000, "reason": "say why"}
        ]);
        let text = Format::Human.render(&v);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("CLIENT ID"), "{text}");
        // Every column starts at the same offset on every line.
        let at = lines[0].find("SCOPE").unwrap_or(usize::MAX);
        assert_eq!(lines[1].find("qyapi_get_member"), Some(at), "{text}");
        assert_eq!(lines[2].find("hr.attendance.read"), Some(at), "{text}");
        let date = local_time(1_700_000_000).unwrap_or_default();
        assert!(date.starts_with("2023-11-1") && date.len() == 25, "{date}");
        assert!(lines[2].contains(&date) && lines[2].ends_with("say why"), "{text}");
        assert!(lines[1].trim_end().ends_with('-'), "a missing field shows -: {text}");
        assert!(!text.contains("1700000000"), "{text}");
    }

    #[test]
    fn an_object_shows_its_fields_then_its_lists() {
        let v = json!({"allowed": false, "scopes": [{"scope": "s1", "step": "not_activated"}]});
        let text = Format::Human.render(&v);
        assert!(text.starts_with("allowed:  no\n\nscopes:\n  SCOPE"), "{text}");
        assert!(text.contains("  s1     not_activated"), "{text}");
    }

    #[test]
    fn moments_are_read_in_every_form() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T23:13:20+01:00"), Ok(1_700_000_000));
        let local = parse_time("2023-11-14 22:13:20").unwrap_or_default();
        assert_eq!(local_time(local).as_deref().map(|s| &s[..19]), Some("2023-11-14T22:13:20"));
        assert!(parse_time("2023-11-14").is_ok());
        assert!(parse_time("yesterday").unwrap_err().contains("\"yesterday\" is not a date"));
    }

    #[test]
    fn json_is_the_servers_answer() {
        let v = json!([{"at": 5}]);
        assert_eq!(serde_json::from_str::<Value>(&Format::Json.render(&v)).ok(), Some(v));
        assert_eq!(Format::Json.render(&Value::Null), "");
        assert_eq!(Format::Human.render(&json!([])), "(none)");
    }
}
