//! `tessera serve --config tessera.toml`: a TOML file holding any of `serve`'s options, one key
//! per flag (`database_url = "..."` for `--database-url`). A flag on the command line or its
//! environment variable overrides the file; a key the file does not know is refused with the
//! file and line, as a mistyped flag would be.
//!
//! The file's values go through the same parsers as flags: they are appended to the command
//! line as flags (those not given already) and the whole is parsed again.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};
use toml::Value;

/// Keys that are not options of the file itself.
const NOT_IN_FILE: &[&str] = &["config", "help", "version", "json"];

/// `argv` with the options of the file at `path` that neither the command line nor the
/// environment gave, as flags of `serve` (the subcommand `serve` describes, `given` its
/// matches from `argv`).
pub fn layer(
    path: &Path,
    serve: &Command,
    given: &ArgMatches,
    mut argv: Vec<OsString>,
) -> anyhow::Result<Vec<OsString>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the config file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let at = e.span().map(|s| format!(":{}", line_of(&text, s.start))).unwrap_or_default();
        anyhow::anyhow!("{}{at}: {}", path.display(), e.message())
    })?;
    for (key, value) in &table {
        let arg = serve
            .get_arguments()
            .find(|a| a.get_id().as_str() == key && a.get_long().is_some() && !NOT_IN_FILE.contains(&key.as_str()));
        let Some(arg) = arg else {
            let known: Vec<String> = serve
                .get_arguments()
                .filter(|a| a.get_long().is_some() && !NOT_IN_FILE.contains(&a.get_id().as_str()))
                .map(|a| a.get_id().to_string())
                .collect();
            bail!(
                "{}:{}: unknown key {key:?} (the keys are serve's options: {})",
                path.display(),
                key_line(&text, key),
                known.join(", ")
            );
        };
        if matches!(given.value_source(key), Some(ValueSource::CommandLine | ValueSource::EnvVariable)) {
            continue;
        }
        let long = format!("--{}", arg.get_long().unwrap_or(key));
        let bad = |want: &str| anyhow::anyhow!("{}:{}: {key} must be {want}", path.display(), key_line(&text, key));
        match (arg.get_action(), value) {
            (ArgAction::SetTrue, Value::Boolean(true)) => argv.push(long.into()),
            (ArgAction::SetTrue, Value::Boolean(false)) => {}
            (ArgAction::SetTrue, _) => return Err(bad("true or false")),
            (_, Value::Array(items)) => {
                let parts =
                    items.iter().map(scalar).collect::<Option<Vec<String>>>().ok_or_else(|| bad("a list of values"))?;
                argv.push(format!("{long}={}", parts.join(",")).into());
            }
            (_, v) => argv.push(format!("{long}={}", scalar(v).ok_or_else(|| bad("a string or a number"))?).into()),
        }
    }
    Ok(argv)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line where `key` is set (a top-level `key =` or a `[key]` table), else 1.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let bare = l.strip_prefix('[').unwrap_or(l).trim_start_matches('[');
            let quoted = format!("\"{key}\"");
            bare.strip_prefix(key).or_else(|| bare.strip_prefix(quoted.as_str())).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.starts_with('=') || rest.starts_with(']') || rest.starts_with('.')
            })
        })
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_found() {
        let text = "# c\nlisten = \"x\"\n\n[extra]\na = 1\n";
        assert_eq!(key_line(text, "listen"), 2);
        assert_eq!(key_line(text, "extra"), 4);
        assert_eq!(line_of(text, text.find("a = 1").unwrap_or(0)), 5);
    }
}
