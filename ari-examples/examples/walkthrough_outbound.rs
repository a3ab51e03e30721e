//! The walkthrough's first call with Asterisk connecting *to* the application (outbound
//! WebSocket, Asterisk 20.15 / 21.10 / 22.5 and later): the application listens, Asterisk
//! connects, and every request goes back over that connection. No access to Asterisk's
//! HTTP port is needed.
//!
//! `cargo run --example walkthrough_outbound` runs it with the embedded simulator
//! connecting out; add `--per-call` for `connection_type=per_call_config` (one connection
//! per call). `--asterisk` waits for a real Asterisk instead, configured as printed, and for
//! a call to 7000 from a phone. `--listen ADDR` (default 127.0.0.1:9099 with `--asterisk`,
//! an ephemeral port with the simulator), `--user` / `--password` set the credentials
//! Asterisk must present.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{at, step, wait_for};
use ari_sdk::{AsteriskConnection, OutboundServer};
use ari_sdk::{ChannelState, Event};
use ari_sim::{OutboundConfig, Simulator};

const WAIT: Duration = Duration::from_secs(10);

struct Options {
    listen: Option<String>,
    user: String,
    password: String,
    per_call: bool,
    real_asterisk: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        listen: None,
        user: "asterisk".to_owned(),
        password: "outbound-secret".to_owned(),
        per_call: false,
        real_asterisk: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => options.listen = Some(value()?),
            "--user" => options.user = value()?,
            "--password" => options.password = value()?,
            "--per-call" => options.per_call = true,
            "--asterisk" => options.real_asterisk = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!(
                "\nOutbound walkthrough complete: every step got the answer and events it expected."
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\noutbound walkthrough failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let default_listen = if options.real_asterisk {
        "127.0.0.1:9099"
    } else {
        "127.0.0.1:0"
    };
    let listen = options.listen.as_deref().unwrap_or(default_listen);

    step(1, "listen for Asterisk's outbound WebSocket connection");
    let mut server = OutboundServer::builder()
        .basic_auth(&options.user, &options.password)
        .timeout(WAIT)
        .bind(listen)
        .await
        .map_err(at("listen"))?;
    let url = format!("ws://{}/", server.local_addr());
    let mode = if options.per_call {
        "per_call_config"
    } else {
        "persistent"
    };
    println!("listening on {url} ({mode})");

    // Keep the simulator (and its outbound connection) alive for the whole run.
    let simulator = if options.real_asterisk {
        println!(
            "Configure Asterisk, then dial 7000 from a phone:\n\
             ; websocket_client.conf\n[outapp_ws]\ntype=websocket_client\nconnection_type={mode}\n\
             uri={url}\nprotocols=ari\nusername={}\npassword=<the password given with --password>\n\
             ; ari.conf\n[outapp_conn]\ntype=outbound_websocket\nwebsocket_client_id=outapp_ws\n\
             apps=hello\nlocal_ari_user=<an ari.conf user with password_format=plain>",
            options.user
        );
        None
    } else {
        let simulator = Simulator::builder()
            .media_duration(Duration::from_millis(400))
            .start()
            .await
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let mut config =
            OutboundConfig::new(&url, ["hello"]).credentials(&options.user, &options.password);
        if options.per_call {
            config = config.per_call();
        }
        simulator
            .connect_outbound(config)
            .map_err(at("simulator outbound connection"))?;
        println!("the embedded simulator connects out to {url} as Asterisk would");
        Some(simulator)
    };

    let mut connection = if options.per_call {
        None
    } else {
        step(2, "Asterisk connects: ApplicationRegistered");
        let mut connection = accept(&mut server).await?;
        wait_for(connection.events(), "ApplicationRegistered", WAIT, |e| {
            matches!(e, Event::ApplicationRegistered(_)).then_some(())
        })
        .await?;
        Some(connection)
    };

    step(3, "dial 7000: the channel enters Stasis(hello,world)");
    match &simulator {
        Some(simulator) => {
            let phone = simulator.control().call("7000").map_err(at("dial 7000"))?;
            println!("simulated phone {phone} dials 7000");
        }
        None => println!("waiting for a call to 7000..."),
    }
    let mut connection = match connection.take() {
        Some(connection) => connection,
        // per_call_config: the call opens its own connection.
        None => accept(&mut server).await?,
    };
    let start = wait_for(connection.events(), "StasisStart", WAIT, |e| match e {
        Event::StasisStart(s) => Some(s.clone()),
        _ => None,
    })
    .await?;
    if start.args != ["world"] {
        return Err(format!(
            "StasisStart args: expected [\"world\"], got {:?}",
            start.args
        ));
    }
    let id = start.channel.id.clone();
    let client = connection.client().clone();

    step(4, "answer over the connection");
    client.channel(&id).answer().await.map_err(at("answer"))?;
    println!("RESTRequest POST channels/{id}/answer -> 204");
    wait_for(
        connection.events(),
        "ChannelStateChange to Up",
        WAIT,
        |e| match e {
            Event::ChannelStateChange(c)
                if c.channel.id == id && c.channel.state == ChannelState::Up =>
            {
                Some(())
            }
            _ => None,
        },
    )
    .await?;

    step(5, "play sound:hello-world and wait for it to finish");
    let playback = client
        .channel(&id)
        .play(["sound:hello-world"])
        .await
        .map_err(at("play"))?;
    println!(
        "RESTRequest POST channels/{id}/play -> playback {} ({})",
        playback.id, playback.state
    );
    wait_for(connection.events(), "PlaybackFinished", WAIT, |e| match e {
        Event::PlaybackFinished(p) if p.playback.id == playback.id => Some(()),
        _ => None,
    })
    .await?;

    step(6, "hang up over the connection");
    client.channel(&id).hangup().await.map_err(at("hangup"))?;
    println!("RESTRequest DELETE channels/{id} -> 204");
    wait_for(connection.events(), "StasisEnd", WAIT, |e| match e {
        Event::StasisEnd(s) if s.channel.id == id => Some(()),
        _ => None,
    })
    .await?;
    Ok(())
}

async fn accept(server: &mut OutboundServer) -> Result<AsteriskConnection, String> {
    let connection = tokio::time::timeout(WAIT, server.accept())
        .await
        .map_err(|_| format!("no connection from Asterisk within {WAIT:?}"))?
        .ok_or("the server stopped")?;
    println!(
        "Asterisk {} connected from {} for application {}",
        connection.asterisk_id(),
        connection.peer_addr(),
        connection.application()
    );
    Ok(connection)
}
