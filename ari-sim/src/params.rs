//! Request parameters: path, query string and (as Asterisk 13+ accepts) JSON body
//! members, checked against the operation's parameters in the spec.

use std::collections::HashMap;

use ari_codegen::ir::{Operation, ParamLocation, TypeRef};
use serde_json::Value;

/// The parameters of one request, after validation.
#[derive(Debug, Default, Clone)]
pub struct Params {
    text: HashMap<String, String>,
    body: HashMap<String, Value>,
}

impl Params {
    /// A text parameter (path or query, or a scalar body member).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.text.get(name).map(String::as_str)
    }
    pub fn string(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }
    /// A comma-joined list parameter, split.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(parse_bool)
    }
    /// A JSON body member (`variables`, `fields`, `filter`).
    pub fn json(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }
    /// A string map body member (`{"variables": {"k": "v"}}`).
    pub fn map(&self, name: &str) -> Vec<(String, String)> {
        match self.body.get(name) {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), text_of(v))).collect(),
            _ => Vec::new(),
        }
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Some(true),
        "false" | "no" | "0" | "off" => Some(false),
        _ => None,
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A request Asterisk would answer with 400, and its message.
pub struct Invalid(pub String);

/// Collects and checks parameters: required ones present, numbers and booleans
/// well-formed, values inside allowed lists and ranges.
pub fn collect(
    op: &Operation,
    path_params: &[(String, String)],
    query: &[(String, String)],
    body: Option<&Value>,
) -> Result<Params, Invalid> {
    let mut params = Params::default();
    for (k, v) in path_params {
        params.text.insert(k.clone(), v.clone());
    }
    for (k, v) in query {
        params.text.insert(k.clone(), v.clone());
    }
    if let Some(Value::Object(members)) = body {
        for (k, v) in members {
            let spec = op.params.iter().find(|p| &p.name == k);
            match spec.map(|p| p.location) {
                Some(ParamLocation::Body) => {
                    params.body.insert(k.clone(), v.clone());
                }
                Some(_) => {
                    params.text.entry(k.clone()).or_insert_with(|| text_of(v));
                }
                None => {}
            }
        }
    }
    for p in &op.params {
        let present = match p.location {
            ParamLocation::Body => params.body.contains_key(&p.name),
            _ => params.text.contains_key(&p.name),
        };
        if !present {
            // Asterisk checks what the spec calls optional in the handler, after the
            // channel lookup (a missing channel is still 404): the handlers do it too.
            if p.required && !p.required_by_asterisk {
                return Err(Invalid(missing_message(op, &p.name)));
            }
            continue;
        }
        if p.location == ParamLocation::Body {
            continue;
        }
        let raw = params.text[&p.name].clone();
        let values: Vec<&str> = if p.multiple {
            raw.split(',').collect()
        } else {
            vec![raw.as_str()]
        };
        for value in values {
            check_value(p, value)?;
        }
    }
    Ok(params)
}

fn check_value(p: &ari_codegen::ir::Param, value: &str) -> Result<(), Invalid> {
    let bad = || {
        Invalid(format!(
            "Invalid value for {}: `{}`",
            p.name,
            value.chars().take(64).collect::<String>()
        ))
    };
    match &p.ty {
        TypeRef::Int | TypeRef::Long => {
            let n: i64 = value.trim().parse().map_err(|_| bad())?;
            if let Some(range) = &p.range {
                let n = n as f64;
                if range.min.is_some_and(|m| n < m) || range.max.is_some_and(|m| n > m) {
                    return Err(bad());
                }
            }
        }
        TypeRef::Double => {
            value.trim().parse::<f64>().map_err(|_| bad())?;
        }
        TypeRef::Boolean => {
            parse_bool(value).ok_or_else(bad)?;
        }
        _ => {}
    }
    if let Some(allowed) = &p.allowed {
        if !allowed.iter().any(|a| a == value) {
            return Err(bad());
        }
    }
    Ok(())
}

/// Asterisk's handlers word some of their own checks; the rest read "X is required".
fn missing_message(op: &Operation, param: &str) -> String {
    match (op.resource.as_str(), op.nickname.as_str(), param) {
        ("channels", "originate" | "originateWithId", "endpoint") => {
            "Endpoint must be specified".to_owned()
        }
        _ => format!("{} is required", capitalized(param)),
    }
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
