//! `ari-proxy`: runs beside one Asterisk and bridges its ARI to NATS JetStream.

use std::process::ExitCode;
use std::time::Duration;

use ari_cluster::proxy::{AsteriskTarget, Proxy, ProxyConfig, UnclaimedAction};

const HELP: &str = "\
ari-proxy: bridges one Asterisk's ARI to NATS JetStream

USAGE:
  ari-proxy --nats URL --node ID --ari URL --user USER --app NAME [--app NAME ...] [OPTIONS]

REQUIRED:
  --nats URL            NATS server, e.g. nats://127.0.0.1:4222
  --node ID             this Asterisk's node id (unique in the cluster)
  --ari URL             Asterisk's ARI root, e.g. http://127.0.0.1:8088/ari
  --user USER           ARI user
  --app NAME            Stasis application to serve (repeatable)

OPTIONS:
  --password-env VAR    environment variable holding the ARI password (default ARI_PASSWORD)
  --proxy-id ID         this proxy's id (default: random)
  --claim-timeout SECS  how long a new call waits for a claim (default 10)
  --unclaimed ACTION    continue | hangup: what becomes of unclaimed calls (default continue)
  -h, --help            this text

Runs until Ctrl-C or SIGTERM, then releases the node's lease so a standby takes over.

Logging: RUST_LOG=error|warn|info|debug|trace (default info), to stderr; libraries log\nat warn at most.
";

struct Args {
    nats: String,
    node: String,
    ari: String,
    user: String,
    apps: Vec<String>,
    password_env: String,
    proxy_id: Option<String>,
    claim_timeout: Option<Duration>,
    unclaimed: UnclaimedAction,
}

enum Parsed {
    Run(Args),
    Help,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let (mut nats, mut node, mut ari, mut user) = (None, None, None, None);
    let mut apps = Vec::new();
    let mut password_env = "ARI_PASSWORD".to_owned();
    let mut proxy_id = None;
    let mut claim_timeout = None;
    let mut unclaimed = UnclaimedAction::Continue;
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help);
        }
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--nats" => nats = Some(value()?),
            "--node" => node = Some(value()?),
            "--ari" => ari = Some(value()?),
            "--user" => user = Some(value()?),
            "--app" => apps.push(value()?),
            "--password-env" => password_env = value()?,
            "--proxy-id" => proxy_id = Some(value()?),
            "--claim-timeout" => {
                let text = value()?;
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 86_400.0)
                    .ok_or_else(|| {
                        format!("--claim-timeout: {text:?} is not a number of seconds")
                    })?;
                claim_timeout = Some(Duration::from_secs_f64(secs));
            }
            "--unclaimed" => {
                unclaimed = match value()?.as_str() {
                    "continue" => UnclaimedAction::Continue,
                    "hangup" => UnclaimedAction::Hangup,
                    other => {
                        return Err(format!(
                            "--unclaimed: {other:?} is neither continue nor hangup"
                        ));
                    }
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let missing = |name: &str| format!("{name} is required");
    if apps.is_empty() {
        return Err(missing("--app"));
    }
    Ok(Parsed::Run(Args {
        nats: nats.ok_or_else(|| missing("--nats"))?,
        node: node.ok_or_else(|| missing("--node"))?,
        ari: ari.ok_or_else(|| missing("--ari"))?,
        user: user.ok_or_else(|| missing("--user"))?,
        apps,
        password_env,
        proxy_id,
        claim_timeout,
        unclaimed,
    }))
}

/// Ctrl-C, or SIGTERM (how service managers and containers stop a process).
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
                return;
            }
            Err(e) => eprintln!("ari-proxy: cannot watch for SIGTERM: {e}"),
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("ari-proxy: cannot wait for Ctrl-C: {e}");
    }
}

/// The proxy's own lines at `RUST_LOG`'s level (default info); its libraries' at warn
/// unless `RUST_LOG` asks for more.
fn init_logging() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = Targets::new()
        .with_target("ari_cluster", level)
        .with_target("ari_proxy", level)
        .with_default(level.min(LevelFilter::WARN));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ari-proxy: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let Ok(password) = std::env::var(&args.password_env) else {
        eprintln!(
            "ari-proxy: the ARI password must be in ${} (see --password-env)",
            args.password_env
        );
        return ExitCode::from(2);
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ari-proxy: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args, password))
}

async fn run(args: Args, password: String) -> ExitCode {
    let mut config = ProxyConfig::new(
        args.nats,
        args.node,
        AsteriskTarget::new(args.ari, args.user, password),
        args.apps,
    )
    .unclaimed(args.unclaimed);
    if let Some(id) = args.proxy_id {
        config = config.proxy_id(id);
    }
    if let Some(timeout) = args.claim_timeout {
        config = config.claim_timeout(timeout);
    }
    let proxy = match Proxy::start(config).await {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("ari-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    stop_requested().await;
    proxy.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Result<Parsed, String> {
        parse(text.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags_parse_and_bad_ones_are_named() {
        let Ok(Parsed::Run(a)) = args(
            "--nats nats://h:4222 --node n1 --ari http://a/ari --user u --app x --app y \
             --claim-timeout 2.5 --unclaimed hangup --proxy-id p",
        ) else {
            panic!("parses");
        };
        assert_eq!(a.apps, ["x", "y"]);
        assert_eq!(a.claim_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(a.unclaimed, UnclaimedAction::Hangup);
        assert_eq!(a.password_env, "ARI_PASSWORD");
        assert_eq!(a.proxy_id.as_deref(), Some("p"));
        assert!(matches!(args("--help"), Ok(Parsed::Help)));
        let error = |text| args(text).err().unwrap_or_default();
        assert!(error("--nats x --node n --ari a --user u").contains("--app"));
        assert!(error("--bogus").contains("--bogus"));
        assert!(error("--app").contains("needs a value"));
        assert!(error("--unclaimed maybe --app a").contains("maybe"));
        assert!(error("--claim-timeout -1 --app a").contains("-1"));
    }
}
