//! A corpus of broken specs made from the real Asterisk 22 api-docs: each mutation gives
//! exactly one clear error (never a panic) naming the file and the JSON location of the
//! problem. Names that only clash with what the generated code or the runtime defines are
//! not errors: they give way (`client` -> `client_arg`), and `tests/golden_compiles.rs`
//! compiles the naming obstacle course inside ari-sdk, so generated code that cannot
//! compile fails a test.
//!
//! `tests/broken.rs` covers the basic cases on the small quirks spec; this file covers
//! what a real, large spec can get wrong: models missing across files, cycles through
//! sub-types and `extends`, nicknames that collide once made Rust names, unknown and
//! unsupported types, malformed path templates, hostile listings and huge files.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use ari_codegen::{Files, Settings, Spec, SpecError, generate};
use serde_json::{Value, json};

/// The Asterisk 22 api-docs as mutable JSON documents, by file name.
fn documents() -> BTreeMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs/22");
    let mut docs = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            docs.insert(name, serde_json::from_str(&text).unwrap());
        }
    }
    assert!(docs.len() > 10, "api-docs/22 holds the whole spec");
    docs
}

fn texts_of(docs: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    docs.iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

/// Parses, resolves and generates, turning a panic into a test failure that says so.
fn build_texts(texts: &BTreeMap<String, String>) -> Result<Files, SpecError> {
    let run = || {
        let spec = Spec::from_documents(&texts["resources.json"], |name| {
            texts
                .get(name)
                .cloned()
                .ok_or_else(|| SpecError::new(name, "", "no such file"))
        })?;
        generate(&spec, &Settings::default())
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("the generator panicked instead of returning an error: {message}")
        }
    }
}

fn check_error(
    result: Result<Files, SpecError>,
    file: &str,
    location: &str,
    needle: &str,
) -> SpecError {
    let error = match result {
        Ok(_) => panic!(
            "the broken spec was accepted; expected an error in {file} at `{location}` \
             mentioning `{needle}`"
        ),
        Err(error) => error,
    };
    assert_eq!(error.file, file, "wrong file in: {error}");
    assert_eq!(error.location, location, "wrong location in: {error}");
    assert!(error.message.contains(needle), "`{needle}` not in: {error}");
    assert!(
        !error.message.contains("generator bug"),
        "the generator, not the spec, failed: {error}"
    );
    let shown = error.to_string();
    assert!(shown.contains(file), "{shown}");
    assert!(shown.contains(location), "{shown}");
    error
}

/// Applies a mutation to the JSON documents and expects one error.
fn expect_error(
    mutate: impl FnOnce(&mut BTreeMap<String, Value>),
    file: &str,
    location: &str,
    needle: &str,
) -> SpecError {
    let mut docs = documents();
    mutate(&mut docs);
    check_error(build_texts(&texts_of(&docs)), file, location, needle)
}

/// Applies a mutation to the document texts (for what JSON values cannot hold, such
/// as a duplicate key) and expects one error.
fn expect_text_error(
    mutate: impl FnOnce(&mut BTreeMap<String, String>),
    file: &str,
    location: &str,
    needle: &str,
) -> SpecError {
    let mut texts = texts_of(&documents());
    mutate(&mut texts);
    check_error(build_texts(&texts), file, location, needle)
}

fn doc<'a>(docs: &'a mut BTreeMap<String, Value>, file: &str) -> &'a mut Value {
    docs.get_mut(file).unwrap()
}

fn model<'a>(docs: &'a mut BTreeMap<String, Value>, file: &str, name: &str) -> &'a mut Value {
    let model = &mut doc(docs, file)["models"][name];
    assert!(model.is_object(), "{file} has model {name}");
    model
}

fn remove_model(docs: &mut BTreeMap<String, Value>, file: &str, name: &str) -> Value {
    doc(docs, file)["models"]
        .as_object_mut()
        .unwrap()
        .remove(name)
        .unwrap_or_else(|| panic!("{file} has model {name}"))
}

/// Index of `value` in a JSON array of strings.
fn index_in(list: &Value, value: &str) -> usize {
    list.as_array()
        .unwrap()
        .iter()
        .position(|v| v == value)
        .unwrap_or_else(|| panic!("`{value}` in {list}"))
}

/// Sets the path of `apis[2]` of channels.json (`/channels/{channelId}`: get,
/// originateWithId, hangup, each with the `channelId` path parameter).
fn set_channel_path(docs: &mut BTreeMap<String, Value>, path: &str) {
    let api = &mut doc(docs, "channels.json")["apis"][2];
    assert_eq!(api["path"], "/channels/{channelId}");
    api["path"] = json!(path);
}

#[test]
fn the_unmutated_spec_builds() {
    let files = build_texts(&texts_of(&documents())).expect("api-docs/22 generates");
    assert!(files.contains_key("channels.rs"));
}

// ---------------------------------------------------------------------------------------
// Missing models
// ---------------------------------------------------------------------------------------

#[test]
fn a_model_missing_from_another_file_is_named_where_it_is_used() {
    // Playback lives in playbacks.json; channels.json uses it first (`play`).
    let error = expect_error(
        |d| {
            remove_model(d, "playbacks.json", "Playback");
        },
        "channels.json",
        "apis[14].operations[0].responseClass",
        "unknown type `Playback`",
    );
    assert!(error.message.contains("neither a Swagger type nor a model"));
}

#[test]
fn a_model_missing_from_a_property() {
    expect_error(
        |d| {
            remove_model(d, "channels.json", "CallerID");
        },
        "channels.json",
        "models.Channel.properties.caller.type",
        "unknown type `CallerID`",
    );
}

#[test]
fn a_model_missing_inside_a_list_property() {
    // Endpoint.channel_ids is a List[string]; make it a list of a model nobody defines.
    expect_error(
        |d| {
            model(d, "endpoints.json", "Endpoint")["properties"]["channel_ids"]["type"] =
                json!("List[Ghost]")
        },
        "endpoints.json",
        "models.Endpoint.properties.channel_ids.type",
        "unknown type `Ghost`",
    );
}

#[test]
fn an_event_model_removed_but_still_listed_as_a_sub_type() {
    let docs = documents();
    let at = index_in(
        &docs["events.json"]["models"]["Event"]["subTypes"],
        "StasisStart",
    );
    expect_error(
        |d| {
            remove_model(d, "events.json", "StasisStart");
        },
        "events.json",
        &format!("models.Event.subTypes[{at}]"),
        "sub-type `StasisStart` is not a model",
    );
}

#[test]
fn an_extends_parent_that_is_not_a_model() {
    expect_error(
        |d| model(d, "events.json", "StasisStart")["extends"] = json!("Evnt"),
        "events.json",
        "models.StasisStart.extends",
        "parent `Evnt` is not a model",
    );
}

#[test]
fn a_model_whose_id_differs_from_its_key() {
    expect_error(
        |d| model(d, "bridges.json", "Bridge")["id"] = json!("Brigde"),
        "bridges.json",
        "models.Bridge.id",
        "differs from its key",
    );
}

// ---------------------------------------------------------------------------------------
// Cycles through sub-types
// ---------------------------------------------------------------------------------------

#[test]
fn a_model_that_is_its_own_sub_type() {
    expect_error(
        |d| {
            model(d, "events.json", "Event")["subTypes"]
                .as_array_mut()
                .unwrap()
                .push(json!("Event"))
        },
        "events.json",
        "models.Event.subTypes",
        "sub-type cycle: Message -> Event -> Event",
    );
}

#[test]
fn a_cycle_through_two_files() {
    // events.json: StasisStart -> Channel; channels.json: Channel -> StasisStart.
    expect_error(
        |d| {
            model(d, "events.json", "StasisStart")["subTypes"] = json!(["Channel"]);
            model(d, "channels.json", "Channel")["subTypes"] = json!(["StasisStart"]);
        },
        "channels.json",
        "models.Channel.subTypes",
        "sub-type cycle: Message -> Event -> StasisStart -> Channel -> StasisStart",
    );
}

#[test]
fn a_cycle_made_with_extends_names_the_extends_key() {
    // Message extends one of its own descendants.
    expect_error(
        |d| model(d, "events.json", "Message")["extends"] = json!("StasisStart"),
        "events.json",
        "models.Message.extends",
        "cycle",
    );
}

#[test]
fn a_cycle_outside_the_event_hierarchy() {
    // Channel and Bridge list each other: no discriminator, but still a cycle.
    expect_error(
        |d| {
            model(d, "channels.json", "Channel")["subTypes"] = json!(["Bridge"]);
            model(d, "bridges.json", "Bridge")["subTypes"] = json!(["Channel"]);
        },
        "bridges.json",
        "models.Bridge.subTypes",
        "cycle",
    );
}

#[test]
fn a_diamond_of_sub_types_is_rejected_quickly() {
    // 40 levels of two models that both list both models of the next level: 80 small
    // models, 2^40 paths from the root. A model with two parents has no single line of
    // inheritance, and the walk must not follow every path.
    let depth = 40;
    let mut docs = documents();
    for i in 0..depth {
        for side in ["A", "B"] {
            let subs = if i + 1 < depth {
                json!([format!("A{}", i + 1), format!("B{}", i + 1)])
            } else {
                json!([])
            };
            doc(&mut docs, "events.json")["models"][format!("{side}{i}")] =
                json!({"id": format!("{side}{i}"), "properties": {}, "subTypes": subs});
        }
    }
    model(&mut docs, "events.json", "Event")["subTypes"]
        .as_array_mut()
        .unwrap()
        .extend([json!("A0"), json!("B0")]);
    let texts = texts_of(&docs);
    // A guard against a hang, far above the milliseconds this takes when linear.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(build_texts(&texts));
    });
    let result = receive
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the generator finished within 10 s on 80 models");
    let error = result.expect_err("a model with two parents is rejected");
    assert_eq!(error.file, "events.json", "{error}");
    assert!(
        error.location.starts_with("models.") && error.location.contains(".subTypes"),
        "{error}"
    );
}

#[test]
fn a_second_discriminated_base() {
    expect_error(
        |d| model(d, "channels.json", "Channel")["discriminator"] = json!("state"),
        "events.json",
        "models.Message.discriminator",
        "a second discriminated base model",
    );
}

// ---------------------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------------------

#[test]
fn duplicate_nicknames_in_different_apis_of_one_resource() {
    // apis[3] is /channels/{channelId}/continue; apis[2] already has `get`.
    expect_error(
        |d| doc(d, "channels.json")["apis"][3]["operations"][0]["nickname"] = json!("get"),
        "channels.json",
        "apis[3].operations[0].nickname",
        "duplicate nickname `get`",
    );
}

#[test]
fn nicknames_that_collide_as_rust_names() {
    // `Get` and `get` differ on the wire but both become `fn get` and `struct Get`.
    expect_error(
        |d| doc(d, "channels.json")["apis"][3]["operations"][0]["nickname"] = json!("Get"),
        "channels.json",
        "apis[3].operations[0].nickname",
        "get",
    );
}

#[test]
fn a_model_defined_in_two_files() {
    // channels.json comes before bridges.json in the listing, so bridges.json repeats it.
    expect_error(
        |d| {
            let bridge = d["bridges.json"]["models"]["Bridge"].clone();
            doc(d, "channels.json")["models"]["Bridge"] = bridge;
        },
        "bridges.json",
        "models.Bridge",
        "also defined in channels.json",
    );
}

#[test]
fn a_model_key_repeated_in_one_file() {
    expect_text_error(
        |t| {
            let text = t.get_mut("sounds.json").unwrap();
            let start = text.find("\"Sound\":").expect("Sound model");
            let copy = text[start..].to_owned();
            let end = matching_brace(&copy, copy.find('{').unwrap());
            let entry = format!("{},", &copy[..=end]);
            text.insert_str(start, &entry);
        },
        "sounds.json",
        "models",
        "duplicate key `Sound`",
    );
}

#[test]
fn a_parameter_repeated_in_one_operation() {
    expect_error(
        |d| {
            let params = &mut doc(d, "channels.json")["apis"][0]["operations"][1]["parameters"];
            let first = params[0].clone();
            params.as_array_mut().unwrap().push(first);
        },
        "channels.json",
        "apis[0].operations[1].parameters[14].name",
        "duplicate parameter `endpoint`",
    );
}

#[test]
fn a_declaration_listed_twice() {
    expect_error(
        |d| {
            let apis = doc(d, "resources.json")["apis"].as_array_mut().unwrap();
            apis.push(json!({"path": "/api-docs/sounds.json"}));
        },
        "resources.json",
        "apis[11].path",
        "`sounds.json` is listed twice",
    );
}

/// The index of the brace closing the one at `open` (strings in api-docs hold no braces
/// that matter here: names and types only).
fn matching_brace(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, b) in text.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced JSON")
}

// ---------------------------------------------------------------------------------------
// Unknown and unsupported types
// ---------------------------------------------------------------------------------------

#[test]
fn unknown_and_unsupported_types() {
    let cases: &[(&str, &str)] = &[
        ("List[List[string]]", "unsupported list type"),
        ("List[void]", "unsupported list type"),
        ("List[string", "unknown type `List[string`"),
        ("", "unknown type ``"),
        ("Dictionary", "unknown type `Dictionary`"),
        ("void", "`void` is not a property type"),
        ("binary", "`binary` is not a property type"),
    ];
    for (ty, needle) in cases {
        expect_error(
            |d| model(d, "channels.json", "Channel")["properties"]["name"]["type"] = json!(ty),
            "channels.json",
            "models.Channel.properties.name.type",
            needle,
        );
    }
}

#[test]
fn a_parameter_of_a_type_parameters_cannot_have() {
    expect_error(
        |d| {
            doc(d, "channels.json")["apis"][2]["operations"][0]["parameters"][0]["dataType"] =
                json!("binary")
        },
        "channels.json",
        "apis[2].operations[0].parameters[0].dataType",
        "`binary` is not a parameter type",
    );
}

#[test]
fn a_type_of_the_wrong_json_kind() {
    expect_error(
        |d| model(d, "channels.json", "Channel")["properties"]["name"]["type"] = json!(7),
        "channels.json",
        "models.Channel.properties.name.type",
        "expected a string",
    );
}

#[test]
fn bad_allowable_values() {
    fn at(d: &mut BTreeMap<String, Value>) -> &mut Value {
        &mut model(d, "channels.json", "Channel")["properties"]["state"]["allowableValues"]
    }
    expect_error(
        |d| at(d)["valueType"] = json!("ENUM"),
        "channels.json",
        "models.Channel.properties.state.allowableValues.valueType",
        "unsupported valueType `ENUM`",
    );
    expect_error(
        |d| at(d)["values"] = json!([]),
        "channels.json",
        "models.Channel.properties.state.allowableValues.values",
        "empty list of allowed values",
    );
    expect_error(
        |d| *at(d) = json!({"valueType": "RANGE", "min": "low"}),
        "channels.json",
        "models.Channel.properties.state.allowableValues.min",
        "`low` is not a number",
    );
}

// ---------------------------------------------------------------------------------------
// Path templates
// ---------------------------------------------------------------------------------------

#[test]
fn bad_path_templates() {
    let cases: &[(&str, &str)] = &[
        // A missing `/` between segments glues a literal to a parameter.
        ("/channels{channelId}", "is not a literal or `{param}`"),
        ("/channels//{channelId}", "has an empty segment"),
        ("/channels/{channelId}/", "has an empty segment"),
        ("/channels/{}", "bad path parameter `{}`"),
        ("/channels/{channelId", "is not a literal or `{param}`"),
        ("/channels/channelId}", "is not a literal or `{param}`"),
        (
            "/channels/{{channelId}}",
            "bad path parameter `{{channelId}}`",
        ),
        ("/channels/{channel}Id", "is not a literal or `{param}`"),
        ("/channels/{***}", "bad path parameter `{***}`"),
        ("/channels/{channelId}/{channelId}", "appears twice"),
        ("/channels/{channelId}?x=1", "is not a literal or `{param}`"),
        ("/channels/{channelId}#top", "is not a literal or `{param}`"),
        ("/channels/%7BchannelId%7D", "is not a literal or `{param}`"),
    ];
    for (path, needle) in cases {
        expect_error(
            |d| set_channel_path(d, path),
            "channels.json",
            "apis[2].path",
            needle,
        );
    }
}

#[test]
fn a_template_parameter_that_no_parameter_fills() {
    expect_error(
        |d| set_channel_path(d, "/channels/{channelId}/{snoopId}"),
        "channels.json",
        "apis[2].operations[0]",
        "`{snoopId}` in path `/channels/{channelId}/{snoopId}` has no path parameter",
    );
}

#[test]
fn a_path_parameter_missing_from_a_renamed_template() {
    expect_error(
        |d| set_channel_path(d, "/channels/{id}"),
        "channels.json",
        "apis[2].operations[0].parameters[0]",
        "path parameter `channelId` is not in the path `/channels/{id}`",
    );
}

#[test]
fn dot_segments_in_a_template() {
    // `..` and `.` would be resolved away by every URL parser: the request would go to
    // another resource than the spec says.
    for path in ["/channels/{channelId}/..", "/channels/./{channelId}"] {
        expect_error(
            |d| set_channel_path(d, path),
            "channels.json",
            "apis[2].path",
            path,
        );
    }
}

#[test]
fn literals_that_give_no_rust_name() {
    // A handle is named after the literal before its id: these give no usable name.
    // (They made the generator panic: `expect("validated")`, `format_ident!`.)
    for path in ["/\u{e9}/{channelId}", "/123s/{channelId}", "/_/{channelId}"] {
        expect_error(
            |d| set_channel_path(d, path),
            "channels.json",
            "apis[2].path",
            path,
        );
    }
}

// ---------------------------------------------------------------------------------------
// The listing
// ---------------------------------------------------------------------------------------

#[test]
fn a_listing_entry_that_names_no_file() {
    for path in [
        "/api-docs/..{format}",
        "/api-docs/.{format}",
        "/api-docs/channels.xml",
        "/api-docs/a.b.json",
        "/api-docs/..\\..\\secret.json",
        "",
    ] {
        expect_error(
            |d| doc(d, "resources.json")["apis"][0]["path"] = json!(path),
            "resources.json",
            "apis[0].path",
            "does not name an api-declaration file",
        );
    }
}

#[test]
fn a_listing_only_ever_reads_plain_file_names() {
    // Whatever the listing says, the loader asks only for a bare `name.json`.
    let listing = json!({"apis": [
        {"path": "/api-docs/../../../etc/passwd.{format}"},
        {"path": "http://evil.example/x/../channels.json"},
        {"path": "/api-docs/%2e%2e%2fsecret.json"},
    ]});
    let mut asked = Vec::new();
    let _ = Spec::from_documents(&listing.to_string(), |name| {
        asked.push(name.to_owned());
        Ok("{}".to_owned())
    });
    assert_eq!(
        asked,
        ["passwd.json", "channels.json", "%2e%2e%2fsecret.json"]
    );
    for name in &asked {
        assert!(
            !name.contains(['/', '\\']) && !name.starts_with('.'),
            "{name}"
        );
    }
}

#[test]
fn a_declaration_whose_name_gives_no_rust_name() {
    // The resource takes its name from the file: `-.json` has none. (It made the
    // generator panic: `expect("validated")` in emit/root.rs.)
    expect_error(
        |d| {
            doc(d, "resources.json")["apis"]
                .as_array_mut()
                .unwrap()
                .push(json!({"path": "/api-docs/-.{format}"}));
            d.insert("-.json".to_owned(), json!({"apis": [], "models": {}}));
        },
        "resources.json",
        "apis[11].path",
        "-",
    );
}

// ---------------------------------------------------------------------------------------
// Hostile sizes
// ---------------------------------------------------------------------------------------

/// About 20 MB of models in one declaration (some 10,000 models of 2 KB, the size of
/// a real `Channel`); `last` is the text of the final model.
fn huge_declaration(last: &str) -> String {
    let mut text = String::with_capacity(21 << 20);
    text.push_str("{\"apis\": [], \"models\": {");
    let description = "x".repeat(1_800);
    let mut n = 0;
    while text.len() < 20 << 20 {
        text.push_str(&format!(
            "\"Huge{n}\": {{\"id\": \"Huge{n}\", \"properties\": {{\
             \"name\": {{\"type\": \"string\", \"required\": true}}, \
             \"count\": {{\"type\": \"long\"}}, \
             \"tags\": {{\"type\": \"List[string]\"}}, \
             \"detail\": {{\"type\": \"object\", \"description\": \"{description}\"}}}}}},"
        ));
        n += 1;
    }
    text.push_str(last);
    text.push_str("}}");
    text
}

/// The real spec plus one more declaration, listed last.
fn build_with_extra(file: &str, text: String) -> Result<Files, SpecError> {
    let mut texts = texts_of(&documents());
    let mut listing: Value = serde_json::from_str(&texts["resources.json"]).unwrap();
    let stem = file.trim_end_matches(".json");
    listing["apis"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "path": format!("/api-docs/{stem}.{{format}}") }));
    texts.insert("resources.json".to_owned(), listing.to_string());
    texts.insert(file.to_owned(), text);
    build_texts(&texts)
}

#[test]
fn a_huge_file_with_an_error_at_its_end() {
    let text = huge_declaration(
        "\"HugeLast\": {\"id\": \"HugeLast\", \"properties\": {\"x\": {\"type\": \"Nope\"}}}",
    );
    assert!(text.len() >= 20 << 20);
    let started = std::time::Instant::now();
    let r = build_with_extra("huge.json", text);
    eprintln!("huge: {:?}", started.elapsed());
    check_error(
        r,
        "huge.json",
        "models.HugeLast.properties.x.type",
        "unknown type `Nope`",
    );
}

#[test]
fn a_huge_file_cut_short() {
    let mut text = huge_declaration("\"HugeLast\": {\"id\": \"HugeLast\"}");
    text.truncate(text.len() - 1_000);
    let error = build_with_extra("huge.json", text).expect_err("a truncated file is rejected");
    assert_eq!(error.file, "huge.json", "{error}");
    assert!(
        error.location.starts_with("models.Huge"),
        "the location names the model being read: {error}"
    );
    assert!(error.message.contains("EOF"), "{error}");
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut texts = texts_of(&documents());
    let mut channels: Value = serde_json::from_str(&texts["channels.json"]).unwrap();
    channels["apis"][0]["operations"][1]["parameters"][0]["defaultValue"] = json!("PLACEHOLDER");
    let text = channels.to_string().replace("\"PLACEHOLDER\"", &nested);
    texts.insert("channels.json".to_owned(), text);
    let error = build_texts(&texts).expect_err("nesting beyond the parser's limit is rejected");
    assert_eq!(error.file, "channels.json", "{error}");
    // The location goes down the nesting to where the parser stopped.
    let at = "apis[0].operations[1].parameters[0].defaultValue[0][0]";
    assert!(error.location.starts_with(at), "{error}");
    assert!(
        error.message.contains("recursion limit exceeded"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------
// Rust names the generated code needs for itself
// ---------------------------------------------------------------------------------------

/// Adds a query parameter named `name` to `GET /channels/{channelId}`.
fn add_channel_get_param(d: &mut BTreeMap<String, Value>, name: &str) {
    let op = &mut doc(d, "channels.json")["apis"][2]["operations"][0];
    assert_eq!(op["nickname"], "get");
    op["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": name, "paramType": "query", "dataType": "string"}));
}

/// Generates after a mutation, which must be accepted.
fn generate_mutated(mutate: impl FnOnce(&mut BTreeMap<String, Value>)) -> Files {
    let mut docs = documents();
    mutate(&mut docs);
    build_texts(&texts_of(&docs)).expect("the mutated spec generates")
}

// Names the generated code has for itself give way rather than fail; the naming obstacle
// course (`tests/golden/obstacles`) compiles what they give.

#[test]
fn parameters_that_collide_as_rust_names_give_way() {
    // `channel_id` and `channelId` both want the argument `channel_id`.
    let files = generate_mutated(|d| add_channel_get_param(d, "channel_id"));
    assert!(files["channels.rs"].contains("channel_id_arg"));
}

#[test]
fn parameters_named_like_the_builders_own_variables_give_way() {
    for name in ["client", "call"] {
        let files = generate_mutated(|d| add_channel_get_param(d, name));
        assert!(
            files["channels.rs"].contains(&format!("{name}_arg: impl Into<String>")),
            "{name}"
        );
    }
}

#[test]
fn a_nickname_that_is_a_method_of_every_accessor_gives_way() {
    let files = generate_mutated(|d| {
        doc(d, "channels.json")["apis"][3]["operations"][0]["nickname"] = json!("new")
    });
    assert!(files["channels.rs"].contains("pub fn new_request("));
}

#[test]
fn a_nickname_that_is_a_method_of_every_handle_gives_way() {
    // `GET /channels/{channelId}` is on the channel handle, which has `events()` already.
    let files = generate_mutated(|d| {
        doc(d, "channels.json")["apis"][2]["operations"][0]["nickname"] = json!("events")
    });
    assert!(files["handles.rs"].contains("pub fn events_request("));
}

#[test]
fn a_model_named_like_a_runtime_type_at_the_crate_root() {
    for name in ["Transport", "Watched", "Client"] {
        expect_error(
            |d| {
                let models = doc(d, "asterisk.json")["models"].as_object_mut().unwrap();
                models.insert(
                    name.to_owned(),
                    json!({"id": name, "properties": {"x": {"type": "string"}}}),
                );
            },
            "asterisk.json",
            &format!("models.{name}"),
            &format!("Rust name `{name}` is also used by ari-sdk itself"),
        );
    }
    expect_error(
        |d| {
            let models = doc(d, "asterisk.json")["models"].as_object_mut().unwrap();
            models.insert(
                "Option".to_owned(),
                json!({"id": "Option", "properties": {}}),
            );
        },
        "asterisk.json",
        "models.Option",
        "Rust name `Option` is also used by the Rust prelude",
    );
}

#[test]
fn two_declarations_that_become_one_module() {
    expect_error(
        |d| {
            doc(d, "resources.json")["apis"]
                .as_array_mut()
                .unwrap()
                .push(json!({"path": "/api-docs/Channels.{format}"}));
            d.insert(
                "Channels.json".to_owned(),
                json!({"apis": [], "models": {}}),
            );
        },
        "resources.json",
        "apis[11].path",
        "`Channels.json` and `channels.json` both become the Rust module `channels`",
    );
}

#[test]
fn a_keyword_file_name_and_a_single_id_named_id_generate() {
    let text = json!({"apis": [{"path": "/things/{id}", "operations": [
        {"httpMethod": "GET", "nickname": "get", "responseClass": "void", "parameters": [
            {"name": "id", "paramType": "path", "dataType": "string", "required": true}]}]}]});
    let files = build_with_extra("type.json", text.to_string()).expect("generates");
    assert!(files.contains_key("type_resource.rs"), "{:?}", files.keys());
    assert!(files["mod.rs"].contains("pub mod type_resource"));
    let handles = &files["handles.rs"];
    let start = handles
        .find("impl ThingHandle")
        .expect("a handle for /things/{id}");
    let end = handles[start..].find("\n}\n").unwrap() + start;
    assert_eq!(
        handles[start..end].matches("pub fn id(").count(),
        1,
        "one getter for the id"
    );
}
