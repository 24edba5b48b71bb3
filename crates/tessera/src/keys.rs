//! `tessera keys list | rotate` (operators, on the database) and the serve flags of the
//! signing keys and the tokens they sign.

use clap::{Args, Subcommand};
use tessera_core::signing_key::SigningAlg;
use tessera_service::{ServiceConfig, Tessera};

#[derive(Args, Clone, Debug)]
pub struct SigningArgs {
    /// How long a signing key signs before its successor (published in the JWKS for a whole
    /// period already) takes over: seconds, or with a unit (30d, 12h, 90m).
    #[arg(long, env = "TESSERA_SIGNING_KEY_ROTATION", default_value = "30d", value_parser = parse_period)]
    pub signing_key_rotation: i64,
    /// Lifetime of ID tokens (seconds or with a unit).
    #[arg(long, default_value = "1h", value_parser = parse_period)]
    pub id_token_ttl: i64,
    /// Lifetime of JWT access tokens (RFC 9068) of apps that chose them (seconds or with a unit).
    #[arg(long, default_value = "300", value_parser = parse_period)]
    pub jwt_access_token_ttl: i64,
}

impl SigningArgs {
    pub fn apply(&self, config: &mut ServiceConfig) {
        config.signing_key_rotation = self.signing_key_rotation;
        config.id_token_ttl = self.id_token_ttl;
        config.jwt_access_ttl = self.jwt_access_token_ttl;
    }
}

/// A positive period: `90`, `90s`, `15m`, `12h`, `30d`.
pub fn parse_period(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: i64 = digits.parse().map_err(|_| format!("{s:?} is not a period like 300, 15m, 12h or 30d"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    match n.checked_mul(factor) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!("{s:?} must be a positive period")),
    }
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Every signing key: algorithm, generation, state (next, active, retired, expired), times.
    List,
    /// Start signing with the published successor now (the current key retires and stays
    /// published until its last token expired); recorded in the audit log.
    Rotate {
        /// RS256, ES256 or EdDSA; all three when left out.
        #[arg(long)]
        alg: Option<String>,
    },
}

pub async fn run(tessera: &Tessera, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::List => {
            println!(
                "{:<44} {:<6} {:>4} {:<8} {:>11} {:>11} {:>11}",
                "kid", "alg", "gen", "state", "created", "activates", "published≤"
            );
            for k in tessera.list_keys().await? {
                let until = k.published_until.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
                println!(
                    "{:<44} {:<6} {:>4} {:<8} {:>11} {:>11} {:>11}",
                    k.kid, k.alg, k.generation, k.state, k.created_at, k.activates_at, until
                );
            }
            Ok(())
        }
        KeysCommand::Rotate { alg } => {
            let algs =
                match alg.as_deref() {
                    None => SigningAlg::ALL.to_vec(),
                    Some(a) => vec![SigningAlg::parse(a).ok_or_else(|| {
                        anyhow::anyhow!("unknown algorithm {a:?}; use one of {}", SigningAlg::names())
                    })?],
                };
            for alg in algs {
                let r = tessera.rotate_keys(alg, "operator").await?;
                println!(
                    "{}: {} signs from now; {} retired",
                    r.alg,
                    r.active,
                    r.retired.as_deref().unwrap_or("no key was")
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_take_units_and_refuse_nonsense() {
        assert_eq!(parse_period("300"), Ok(300));
        assert_eq!(parse_period("15m"), Ok(900));
        assert_eq!(parse_period("30d"), Ok(2_592_000));
        assert!(parse_period("0").is_err());
        assert!(parse_period("-5").is_err());
        assert!(parse_period("3w").is_err());
        assert!(parse_period("d").is_err());
        assert!(parse_period("99999999999999999d").is_err());
    }
}
