//! Specs the generator cannot map fail with one clear error naming file and location.

use std::collections::BTreeMap;
use std::path::Path;

use ari_codegen::{Settings, Spec, SpecError, generate};
use serde_json::{Value, json};

/// The golden quirks spec as mutable JSON documents.
fn documents() -> BTreeMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/quirks/spec");
    ["resources.json", "things.json", "events.json"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            (f.to_string(), serde_json::from_str(&text).unwrap())
        })
        .collect()
}

fn build(docs: &BTreeMap<String, Value>) -> Result<ari_codegen::Files, SpecError> {
    let texts: BTreeMap<String, String> = docs
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let spec = Spec::from_documents(&texts["resources.json"], |name| {
        texts
            .get(name)
            .cloned()
            .ok_or_else(|| SpecError::new(name, "", "no such file"))
    })?;
    generate(&spec, &Settings::default())
}

/// Applies a mutation and expects an error in `file` at `location` mentioning `needle`.
fn expect_error(
    mutate: impl FnOnce(&mut BTreeMap<String, Value>),
    file: &str,
    location: &str,
    needle: &str,
) {
    let mut docs = documents();
    mutate(&mut docs);
    let error = build(&docs).expect_err("the broken spec must be rejected");
    assert_eq!(error.file, file, "{error}");
    assert_eq!(error.location, location, "{error}");
    assert!(error.message.contains(needle), "`{needle}` not in: {error}");
    let shown = error.to_string();
    assert!(shown.contains(file) && shown.contains(location), "{shown}");
}

#[test]
fn the_unmutated_spec_builds() {
    build(&documents()).unwrap();
}

#[test]
fn unknown_parameter_type() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][1]["parameters"][1]["dataType"] =
                json!("integer64")
        },
        "things.json",
        "apis[0].operations[1].parameters[1].dataType",
        "unknown type `integer64`",
    );
}

#[test]
fn model_reference_that_does_not_exist() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["models"]["Thing"]["properties"]["parent"]["type"] =
                json!("Nope")
        },
        "things.json",
        "models.Thing.properties.parent.type",
        "`Nope`",
    );
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][0]["responseClass"] =
                json!("List[Nope]")
        },
        "things.json",
        "apis[0].operations[0].responseClass",
        "`Nope`",
    );
}

#[test]
fn path_parameter_missing_from_the_template() {
    expect_error(
        |d| d.get_mut("things.json").unwrap()["apis"][1]["path"] = json!("/things/{id}"),
        "things.json",
        "apis[1].operations[0].parameters[0]",
        "not in the path",
    );
}

#[test]
fn template_parameter_without_a_path_parameter() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][1]["operations"][0]["parameters"][0]["paramType"] =
                json!("query")
        },
        "things.json",
        "apis[1].operations[0]",
        "has no path parameter",
    );
}

#[test]
fn duplicate_nicknames_in_one_resource() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][1]["nickname"] =
                json!("list")
        },
        "things.json",
        "apis[0].operations[1].nickname",
        "duplicate nickname `list`",
    );
}

#[test]
fn sub_type_cycle() {
    expect_error(
        |d| {
            d.get_mut("events.json").unwrap()["models"]["ThingCreated"]["subTypes"] =
                json!(["Event"])
        },
        "events.json",
        "models.ThingCreated.subTypes",
        "cycle",
    );
}

#[test]
fn sub_type_that_is_not_a_model() {
    expect_error(
        |d| {
            d.get_mut("events.json").unwrap()["models"]["Event"]["subTypes"] =
                json!(["ThingCreated", "Ghost"])
        },
        "events.json",
        "models.Event.subTypes[1]",
        "`Ghost`",
    );
}

#[test]
fn bad_values_in_known_keys() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][1]["errorResponses"][0]["code"] =
                json!("oops")
        },
        "things.json",
        "apis[0].operations[1].errorResponses[0].code",
        "not an HTTP status",
    );
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][0]["parameters"][0]["paramType"] =
                json!("header")
        },
        "things.json",
        "apis[0].operations[0].parameters[0].paramType",
        "unsupported paramType",
    );
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][0]["httpMethod"] =
                json!("BREW")
        },
        "things.json",
        "apis[0].operations[0].httpMethod",
        "BREW",
    );
    expect_error(
        |d| d.get_mut("things.json").unwrap()["apis"][0]["path"] = json!("things"),
        "things.json",
        "apis[0].path",
        "does not start with `/`",
    );
}

#[test]
fn wrong_json_shapes_name_their_location() {
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][0]["parameters"] =
                json!({"not": "a list"})
        },
        "things.json",
        "apis[0].operations[0].parameters",
        "expected a sequence",
    );
    expect_error(
        |d| {
            d.get_mut("things.json").unwrap()["apis"][0]["operations"][0]
                .as_object_mut()
                .unwrap()
                .remove("nickname");
        },
        "things.json",
        "apis[0].operations[0]",
        "missing field `nickname`",
    );
}

#[test]
fn a_listed_file_that_is_missing() {
    expect_error(
        |d| {
            d.remove("events.json");
        },
        "events.json",
        "",
        "no such file",
    );
}

#[test]
fn text_that_is_not_json() {
    let error = Spec::from_documents("{\"apis\": [", |_| Ok(String::new())).unwrap_err();
    assert_eq!(error.file, "resources.json");
    assert!(error.message.contains("EOF"), "{error}");
}
