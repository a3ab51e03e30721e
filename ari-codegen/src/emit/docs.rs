//! Rustdoc text written from spec facts (and from upstream prose when the spec carries it).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Api, Field, Operation, Param, ParamLocation, TypeRef};

/// `#[doc = ...]` attributes, one per line.
pub fn attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    quote!(#( #[doc = #lines] )*)
}

/// Upstream prose, when present, as doc lines (facts-only specs have none).
pub fn prose(text: Option<&str>) -> Vec<String> {
    match text {
        Some(t) if !t.trim().is_empty() => t.trim().lines().map(|l| escape(l.trim_end())).collect(),
        _ => Vec::new(),
    }
}

/// Our own text (`api-docs/text`, Markdown) as doc lines. Square brackets outside code
/// spans are escaped: the text names items in backticks, and a bracket is never a link.
pub fn ours(text: &str) -> Vec<String> {
    let mut escaped = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.trim().chars() {
        match c {
            '`' => in_code = !in_code,
            '[' | ']' if !in_code => escaped.push('\\'),
            _ => {}
        }
        escaped.push(c);
    }
    escaped.lines().map(|l| l.trim_end().to_owned()).collect()
}

/// Adds a paragraph and the blank line after it; nothing for an empty one.
fn paragraph(lines: &mut Vec<String>, text: Vec<String>) {
    if !text.is_empty() {
        lines.extend(text);
        lines.push(String::new());
    }
}

/// Our summary and details, each a paragraph.
fn summary_and_details(lines: &mut Vec<String>, summary: &str, details: Option<&str>) {
    paragraph(lines, ours(summary));
    paragraph(lines, details.map(ours).unwrap_or_default());
}

/// Our text on one line, for list items and setter docs.
pub fn ours_inline(text: &str) -> String {
    ours(text)
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `[`StasisStart`](super::events::StasisStart)` for an event of this line, plain code
/// for one it lacks.
fn event_link(api: &Api, name: &str) -> String {
    if api.events.iter().any(|e| e.name == name) {
        format!("[`{name}`](super::events::{name})")
    } else {
        format!("`{name}` (not in this line's spec)")
    }
}

/// Keeps rustdoc from reading spec text as markup or links.
pub fn escape(text: &str) -> String {
    text.replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn type_text(ty: &TypeRef) -> String {
    match ty {
        TypeRef::String => "string".into(),
        TypeRef::Int => "int".into(),
        TypeRef::Long => "long".into(),
        TypeRef::Double => "double".into(),
        TypeRef::Boolean => "boolean".into(),
        TypeRef::Date => "Date".into(),
        TypeRef::Object => "object".into(),
        TypeRef::Containers => "containers".into(),
        TypeRef::Binary => "binary".into(),
        TypeRef::Void => "void".into(),
        TypeRef::List(inner) => format!("List[{}]", type_text(inner)),
        TypeRef::Model(m) => m.clone(),
        TypeRef::Enum(_) => "string".into(),
    }
}

/// The type for rustdoc: code-formatted, with a link to the Rust type where there is one.
pub fn type_doc(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Model(m) => format!("[`{m}`](super::models::{m})"),
        TypeRef::Enum(e) => format!("`string`, see [`{e}`](super::models::{e})"),
        TypeRef::List(inner) if matches!(inner.as_ref(), TypeRef::Model(_) | TypeRef::Enum(_)) => {
            format!("list of {}", type_doc(inner))
        }
        other => format!("`{}`", type_text(other)),
    }
}

fn since_text(since: &[String]) -> String {
    if since.is_empty() {
        "not stated".to_owned()
    } else {
        since.join(", ")
    }
}

pub fn operation(op: &Operation, api: &Api) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(text) = &op.text {
        summary_and_details(&mut lines, &text.summary, text.details.as_deref());
        if !text.events.is_empty() {
            let events: Vec<String> = text.events.iter().map(|e| event_link(api, e)).collect();
            lines.push(format!(
                "Events that follow, in order: {}.",
                events.join(", ")
            ));
            lines.push(String::new());
        }
    }
    let summary = prose(op.summary.as_deref());
    if summary.is_empty() {
        lines.push(format!(
            "`{} {}` (`{}`).",
            op.method.as_str(),
            op.path,
            op.nickname
        ));
    } else {
        lines.extend(summary);
        lines.push(String::new());
        lines.push(format!(
            "`{} {}` (`{}`).",
            op.method.as_str(),
            op.path,
            op.nickname
        ));
    }
    let notes = prose(op.notes.as_deref());
    if !notes.is_empty() {
        lines.push(String::new());
        lines.extend(notes);
    }
    lines.push(String::new());
    lines.push(format!("- Since: {}", since_text(&op.since)));
    lines.push(format!("- Response: {}", type_doc(&op.response)));
    let status_text = |status: &u16| {
        op.text
            .as_ref()
            .and_then(|t| t.statuses.get(&status.to_string()))
            .map(|t| ours_inline(t))
    };
    if op.error_statuses.iter().any(|s| status_text(s).is_some()) {
        lines.push("- Error statuses:".to_owned());
        for status in &op.error_statuses {
            match status_text(status) {
                Some(text) => lines.push(format!("  - `{status}`: {text}")),
                None => lines.push(format!("  - `{status}`")),
            }
        }
    } else if !op.error_statuses.is_empty() {
        let statuses: Vec<String> = op.error_statuses.iter().map(u16::to_string).collect();
        lines.push(format!("- Error statuses: {}", statuses.join(", ")));
    }
    if op.websocket {
        lines.push("- Upgrades to a WebSocket.".to_owned());
    }
    if !op.params.is_empty() {
        lines.push(String::new());
        lines.push("Parameters:".to_owned());
        for p in &op.params {
            lines.push(format!("- {}", param(p)));
        }
    }
    lines
}

pub fn param(p: &Param) -> String {
    let place = match p.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Body => "body",
    };
    let mut text = format!(
        "`{}` ({place}, {}{}{})",
        p.name,
        type_doc(&p.ty),
        if p.required_by_asterisk {
            ", required by Asterisk although the spec marks it optional"
        } else if p.required {
            ", required"
        } else {
            ""
        },
        if p.multiple {
            ", comma-joined list"
        } else {
            ""
        }
    );
    match &p.default {
        Some(d) if p.required_by_asterisk => text.push_str(&format!(
            "; the spec's default `{}` is not applied by Asterisk",
            escape(d)
        )),
        Some(d) => text.push_str(&format!("; default `{}`", escape(d))),
        None => {}
    }
    match p.body_shape {
        crate::ir::BodyShape::Member => {}
        crate::ir::BodyShape::Whole => {
            text.push_str("; its members are the whole body, as Asterisk reads it")
        }
        crate::ir::BodyShape::AttributeList => text.push_str(
            "; sent as a list of `{\"attribute\", \"value\"}` pairs, as Asterisk reads it",
        ),
    }
    if p.media_uris {
        // The schemes themselves live in the runtime only.
        text.push_str(
            "; media URIs, each starting with a scheme Asterisk plays (see \
             [`MEDIA_SCHEMES`](crate::MEDIA_SCHEMES))",
        );
    }
    if let Some(values) = &p.allowed {
        let v: Vec<String> = values.iter().map(|v| format!("`{}`", escape(v))).collect();
        text.push_str(&format!("; one of {}", v.join(", ")));
    }
    if let Some(r) = &p.range {
        let bound = |b: Option<f64>| b.map_or("unbounded".to_owned(), |b| b.to_string());
        text.push_str(&format!("; range {} to {}", bound(r.min), bound(r.max)));
    }
    if let Some(ours) = &p.text {
        text.push_str(&format!(": {}", ours_inline(ours)));
    }
    let values = value_texts(p.allowed.as_deref(), &p.value_text, "");
    if !values.is_empty() {
        text.push_str(&format!(" Values: {}", values.join("; ")));
    }
    if let Some(d) = p.description.as_deref().filter(|d| !d.trim().is_empty()) {
        text.push_str(&format!(
            "{} {}",
            if p.text.is_some() { " Asterisk:" } else { ":" },
            escape(d.trim().lines().next().unwrap_or(""))
        ));
    }
    text
}

/// `` `value`: text `` for each allowed value that has our text, each after `prefix`.
fn value_texts(
    allowed: Option<&[String]>,
    texts: &crate::text::Values,
    prefix: &str,
) -> Vec<String> {
    allowed
        .unwrap_or_default()
        .iter()
        .filter_map(|v| {
            let text = texts.get(v)?;
            Some(format!("{prefix}`{}`: {}", escape(v), ours_inline(text)))
        })
        .collect()
}

pub fn field(f: &Field) -> Vec<String> {
    let mut lines = Vec::new();
    paragraph(&mut lines, f.text.as_deref().map(ours).unwrap_or_default());
    paragraph(&mut lines, prose(f.description.as_deref()));
    paragraph(
        &mut lines,
        value_texts(f.allowed.as_deref(), &f.value_text, "- "),
    );
    lines.push(format!(
        "JSON `{}`: {}, {}.",
        f.name,
        type_doc(&f.ty),
        if f.required {
            "required by the spec"
        } else {
            "optional"
        }
    ));
    lines
}

/// The docs of a model or event: our summary and details, then upstream prose, then `facts`.
pub fn model(
    text: Option<&crate::text::ModelText>,
    description: Option<&str>,
    facts: String,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(text) = text {
        summary_and_details(&mut lines, &text.summary, text.details.as_deref());
    }
    paragraph(&mut lines, prose(description));
    lines.push(facts);
    lines
}
