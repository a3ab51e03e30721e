//! `ari-sim`: run the simulated Asterisk and point any ARI client at it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
ari-sim: a simulated Asterisk speaking ARI (REST + event WebSocket on one port)

USAGE:
  ari-sim [--listen ADDR] [--user NAME:PASSWORD]... [--read-only NAME]... [--dialplan FILE]
          [--media-ms N] [--asterisk-id ID]
          [--outbound URL --outbound-apps A,B [--outbound-auth NAME:PASSWORD]
           [--outbound-per-call] [--outbound-reconnect-ms N] [--outbound-ari-user NAME]]...

--outbound connects out to an application's WebSocket server as Asterisk 22 does for an
outbound_websocket (persistent unless --outbound-per-call); the --outbound-* flags after it
configure that connection.

Defaults: --listen 127.0.0.1:8088, users hey:peekaboo and read-only ro:ro, and the
dialplan of the getting-started guide (7000 -> Stasis(hello,world)).
Test control: POST /sim/call?exten=7000, /sim/dtmf?channel=ID&digits=1#, /sim/hangup?channel=ID,
/sim/drop-websockets, /sim/restart, /sim/fail-next?status=500, /sim/delay?ms=N,
/sim/outbound?url=ws://HOST/PATH&apps=A,B[&type=per_call], /sim/outbound-stop?id=N.
";

mod malloc_cache;

fn main() -> ExitCode {
    malloc_cache::restart_with_larger_cache();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8088).into();
    let mut users: Vec<(String, String)> = Vec::new();
    let mut read_only: Vec<String> = Vec::new();
    let mut dialplan: Option<PathBuf> = None;
    let mut media_ms: Option<u64> = None;
    let mut asterisk_id: Option<String> = None;
    let mut outbound: Vec<ari_sim::OutboundConfig> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("`{flag}` needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--user" => {
                let v = value()?;
                let (name, password) = v.split_once(':').ok_or("--user takes NAME:PASSWORD")?;
                users.push((name.to_owned(), password.to_owned()));
            }
            "--read-only" => read_only.push(value()?),
            "--dialplan" => dialplan = Some(PathBuf::from(value()?)),
            "--media-ms" => {
                media_ms = Some(value()?.parse().map_err(|e| format!("--media-ms: {e}"))?)
            }
            "--asterisk-id" => asterisk_id = Some(value()?),
            "--outbound" => outbound.push(ari_sim::OutboundConfig::new(&value()?, [""; 0])),
            "--outbound-apps"
            | "--outbound-auth"
            | "--outbound-per-call"
            | "--outbound-reconnect-ms"
            | "--outbound-ari-user" => {
                let config = outbound
                    .last_mut()
                    .ok_or_else(|| format!("`{flag}` comes after an --outbound URL"))?;
                match flag.as_str() {
                    "--outbound-apps" => {
                        config.apps = value()?
                            .split(',')
                            .map(str::trim)
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned)
                            .collect();
                    }
                    "--outbound-auth" => {
                        let v = value()?;
                        let (name, password) = v
                            .split_once(':')
                            .ok_or("--outbound-auth takes NAME:PASSWORD")?;
                        config.username = name.to_owned();
                        config.password = password.to_owned();
                    }
                    "--outbound-per-call" => {
                        config.connection_type = ari_sim::ConnectionType::PerCall;
                    }
                    "--outbound-reconnect-ms" => {
                        let ms: u64 = value()?
                            .parse()
                            .map_err(|e| format!("--outbound-reconnect-ms: {e}"))?;
                        config.reconnect_interval = std::time::Duration::from_millis(ms);
                    }
                    _ => config.local_ari_user = Some(value()?),
                }
            }
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    let mut builder = ari_sim::Simulator::builder().listen(listen);
    for (name, password) in &users {
        builder = if read_only.contains(name) {
            builder.read_only_user(name, password)
        } else {
            builder.user(name, password)
        };
    }
    if let Some(unknown) = read_only
        .iter()
        .find(|n| !users.iter().any(|(u, _)| u == *n))
    {
        if !users.is_empty() {
            return Err(format!("--read-only {unknown}: no such --user"));
        }
    }
    if let Some(path) = dialplan {
        builder = builder
            .dialplan_file(&path)
            .map_err(|e| format!("--dialplan {}: {e}", path.display()))?;
    }
    if let Some(ms) = media_ms {
        builder = builder.media_duration(std::time::Duration::from_millis(ms));
    }
    if let Some(id) = &asterisk_id {
        builder = builder.asterisk_id(id);
    }
    let sim = builder
        .start()
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    for config in outbound {
        let url = config.url.clone();
        sim.connect_outbound(config)
            .map_err(|e| format!("--outbound {url}: {e}"))?;
        println!("ari-sim connecting out to {url}");
    }
    println!(
        "ari-sim listening on {} (user {})",
        sim.base_url(),
        sim.credentials().0
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    sim.stop();
    Ok(())
}
