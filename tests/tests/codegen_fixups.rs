//! The generator's fixups (`ari_codegen::fixups`): each entry still names a real parameter
//! of the spec it corrects, and the correction reaches the IR and the generated code.

use std::path::{Path, PathBuf};

use ari_codegen::fixups::{BODY_SHAPES, CREATED_UNDER, MEDIA_URIS, REQUIRED_BY_ASTERISK};
use ari_codegen::{Settings, Spec, ir};

fn api_docs(line: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../api-docs")
        .join(line)
}

/// The parameter as the spec itself writes it, before any fixup.
fn spec_param<'a>(
    spec: &'a Spec,
    resource: &str,
    nickname: &str,
    param: &str,
) -> Option<&'a ari_codegen::spec::Parameter> {
    let decl = spec
        .declarations
        .iter()
        .find(|d| d.file == format!("{resource}.json"))?;
    decl.api
        .apis
        .iter()
        .flat_map(|a| &a.operations)
        .find(|o| o.nickname == nickname)?
        .parameters
        .iter()
        .find(|p| p.name == param)
}

fn ir_param<'a>(api: &'a ir::Api, resource: &str, nickname: &str, param: &str) -> &'a ir::Param {
    api.operation(resource, nickname)
        .unwrap_or_else(|| panic!("{resource}.{nickname} resolves"))
        .params
        .iter()
        .find(|p| p.name == param)
        .unwrap_or_else(|| panic!("{resource}.{nickname}({param}) resolves"))
}

#[test]
fn required_by_asterisk_names_optional_parameters_of_api_docs_22() {
    let spec = Spec::load_dir(&api_docs("22")).unwrap();
    assert!(!REQUIRED_BY_ASTERISK.is_empty());
    for fix in REQUIRED_BY_ASTERISK {
        let name = format!("{}.{}({})", fix.resource, fix.nickname, fix.param);
        let param = spec_param(&spec, fix.resource, fix.nickname, fix.param)
            .unwrap_or_else(|| panic!("{name} is not in api-docs/22: remove or rename the fixup"));
        assert!(
            !param.required,
            "{name} is required by api-docs/22 itself now: the fixup is stale"
        );
        assert!(
            fix.asterisk_says.ends_with("is required"),
            "{name}: {}",
            fix.asterisk_says
        );
    }
}

#[test]
fn media_uris_name_string_parameters_of_api_docs_22() {
    let spec = Spec::load_dir(&api_docs("22")).unwrap();
    for fix in MEDIA_URIS {
        let name = format!("{}.{}({})", fix.resource, fix.nickname, fix.param);
        let param = spec_param(&spec, fix.resource, fix.nickname, fix.param)
            .unwrap_or_else(|| panic!("{name} is not in api-docs/22: remove or rename the fixup"));
        assert_eq!(param.data_type, "string", "{name}");
    }
    // Every operation that plays media is covered.
    let api = ari_codegen::load_api(&api_docs("22")).unwrap();
    let media: Vec<String> = api
        .operations()
        .flat_map(|op| {
            op.params
                .iter()
                .filter(|p| p.name == "media")
                .map(move |_| op.qualified_name())
        })
        .collect();
    assert_eq!(
        media,
        [
            "channels.play",
            "channels.playWithId",
            "bridges.play",
            "bridges.playWithId"
        ]
    );
    for op in api.operations() {
        for p in &op.params {
            assert_eq!(
                p.media_uris,
                p.name == "media",
                "{}({})",
                op.qualified_name(),
                p.name
            );
        }
    }
}

#[test]
fn the_ir_of_every_line_carries_the_fixups() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs");
    let mut lines: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    lines.sort();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in &lines {
        let api = ari_codegen::load_api(&api_docs(line)).unwrap();
        for fix in REQUIRED_BY_ASTERISK {
            let p = ir_param(&api, fix.resource, fix.nickname, fix.param);
            assert!(
                p.required && p.required_by_asterisk,
                "{line}: {}.{}",
                fix.nickname,
                fix.param
            );
        }
        for fix in MEDIA_URIS {
            assert!(ir_param(&api, fix.resource, fix.nickname, fix.param).media_uris);
        }
        // Older lines lack some of these parameters (bridge variables came with 20).
        let mut present = 0;
        for fix in BODY_SHAPES {
            let Some(p) = api
                .operation(fix.resource, fix.nickname)
                .and_then(|op| op.params.iter().find(|p| p.name == fix.param))
            else {
                continue;
            };
            present += 1;
            assert_eq!(
                p.body_shape, fix.shape,
                "{line}: {}.{}",
                fix.nickname, fix.param
            );
        }
        let shaped = api
            .operations()
            .flat_map(|o| &o.params)
            .filter(|p| p.body_shape != ir::BodyShape::Member)
            .count();
        assert_eq!(shaped, present, "{line}");
        // Nothing else is touched.
        let fixed = api
            .operations()
            .flat_map(|o| &o.params)
            .filter(|p| p.required_by_asterisk)
            .count();
        assert_eq!(fixed, REQUIRED_BY_ASTERISK.len(), "{line}");
    }
    let dtmf = ari_codegen::load_api(&api_docs("22")).unwrap();
    let dtmf = ir_param(&dtmf, "channels", "sendDTMF", "dtmf");
    assert_eq!(dtmf.ty, ir::TypeRef::String);
    assert_eq!(dtmf.location, ir::ParamLocation::Query);
}

#[test]
fn generated_code_takes_dtmf_positionally_and_says_why() {
    let files =
        ari_codegen::generate_from_dir(&api_docs("22"), &Settings::asterisk_line("22")).unwrap();
    let channels = &files["channels.rs"];
    let handles = &files["handles.rs"];
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (channels, handles) = (squeeze(channels), squeeze(handles));
    assert!(
        handles.contains("pub fn send_dtmf(&self, dtmf: impl Into<String>)"),
        "the channel handle's send_dtmf takes the digits"
    );
    assert!(
        channels.contains(
            "pub fn send_dtmf( &self, channel_id: impl Into<String>, dtmf: impl Into<String>, )"
        ),
        "channels().send_dtmf takes the channel and the digits"
    );
    assert!(
        !channels.contains("pub fn dtmf("),
        "no optional setter is left for dtmf"
    );
    assert!(
        channels.contains(
            "`dtmf` (query, `string`, required by Asterisk although the spec marks it optional)"
        ),
        "the rustdoc says why dtmf is required"
    );
    assert!(
        channels.contains("the spec's default `both` is not applied by Asterisk"),
        "the rustdoc of mute says the spec's default does not hold"
    );
    // The list-of-strings parameters take one value or several.
    assert!(handles.contains("pub fn play(&self, media: impl crate::IntoStrings)"));
    for (name, text) in &files {
        assert!(
            !text.contains("IntoIterator<Item = impl Into<String>>"),
            "{name} still takes a string list as an iterator"
        );
    }
}

#[test]
fn created_under_names_operations_that_now_answer_watched() {
    let api = ari_codegen::load_api(&api_docs("22")).unwrap();
    for (resource, nickname, param) in CREATED_UNDER {
        // The parameter exists as the spec spells it (a stale entry would do nothing).
        ir_param(&api, resource, nickname, param);
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ari-sdk/generated/asterisk_22/channels.rs"),
    )
    .unwrap();
    let snoop = &text[text.find("pub struct SnoopChannel ").expect("the builder")..];
    let snoop = &snoop[..snoop
        .find("pub struct SnoopChannelWithId")
        .unwrap_or(snoop.len())];
    assert!(
        snoop.contains("super::Watched<super::models::Channel>"),
        "snoopChannel answers Watched"
    );
}

#[test]
fn body_shapes_name_body_parameters_of_api_docs_22_of_the_type_they_reshape() {
    let spec = Spec::load_dir(&api_docs("22")).unwrap();
    assert!(!BODY_SHAPES.is_empty());
    for fix in BODY_SHAPES {
        let name = format!("{}.{}({})", fix.resource, fix.nickname, fix.param);
        let param = spec_param(&spec, fix.resource, fix.nickname, fix.param)
            .unwrap_or_else(|| panic!("{name} is not in api-docs/22: remove or rename the fixup"));
        assert_eq!(param.param_type, "body", "{name}");
        let expected = match fix.shape {
            ir::BodyShape::Whole if param.data_type == "containers" => "containers",
            ir::BodyShape::Whole => "object",
            ir::BodyShape::AttributeList => "containers",
            ir::BodyShape::Member => panic!("{name}: a member is no fixup"),
        };
        assert_eq!(param.data_type, expected, "{name}");
    }
    let files =
        ari_codegen::generate_from_dir(&api_docs("22"), &Settings::asterisk_line("22")).unwrap();
    assert!(files["applications.rs"].contains("call.body_whole(\"filter\", filter)"));
    assert!(files["asterisk.rs"].contains("call.body_attribute_list(\"fields\", fields)"));
}
