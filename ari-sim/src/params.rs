//! Request parameters: path, query string and (as Asterisk 13+ accepts) JSON body
//! members, checked against the operation's parameters in the spec.

use std::collections::HashMap;

use ari_codegen::ir::{BodyShape, Operation, ParamLocation};
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
    /// A number as Asterisk reads one (`atoi`): leading digits, 0 when there are none.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).map(atoi)
    }
    /// A flag as Asterisk reads one (`ast_true`): yes, true, y, t, 1, on; anything else
    /// is false.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).map(ast_true)
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

/// C's `atoi`: optional blanks and sign, then digits; 0 when there are none.
pub fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    sign * digits[..end].parse::<i64>().unwrap_or(0)
}

fn ast_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "yes" | "true" | "y" | "t" | "1" | "on"
    )
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

/// Collects the parameters of a request. Asterisk's generated glue checks none of
/// them: numbers are read as `atoi` reads them, flags as `ast_true`, values outside a
/// spec's list or range reach the handler, and each handler checks what it needs, in
/// its own order and words. Here only the handlers' first checks, those made before
/// anything is looked up, are made ([`missing_message`]); the operations check the
/// rest where Asterisk's do.
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
    // A parameter that is the whole body (`applications.filter`) gets all of it.
    let whole = op
        .params
        .iter()
        .find(|p| p.location == ParamLocation::Body && p.body_shape == BodyShape::Whole);
    if let (Some(param), Some(body @ (Value::Object(_) | Value::Null))) = (whole, body) {
        params.body.insert(param.name.clone(), body.clone());
    } else if let Some(Value::Object(members)) = body {
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
    for p in op.params.iter().filter(|p| p.required) {
        let present = match p.location {
            ParamLocation::Body => params.body.contains_key(&p.name),
            _ => params.text.get(&p.name).is_some_and(|v| !v.is_empty()),
        };
        if !present {
            // Parameters the generator's fixups made required are checked by the
            // handlers, after the channel lookup (a missing channel is still 404).
            if p.required_by_asterisk {
                continue;
            }
            if let Some(message) = missing_message(op, &p.name) {
                return Err(Invalid(message.to_owned()));
            }
        }
    }
    Ok(params)
}

/// What Asterisk answers (400) when a required parameter is missing and its handler
/// checks that before anything else; `None` where the handler looks something up first
/// or does not check at all (the operation then answers as Asterisk's does).
fn missing_message(op: &Operation, param: &str) -> Option<&'static str> {
    Some(match (op.qualified_name().as_str(), param) {
        ("applications.subscribe" | "applications.unsubscribe", "eventSource") => {
            "Missing parameter eventSource"
        }
        ("asterisk.addLog", "configuration") => "Configuration levels are required",
        (
            "asterisk.getGlobalVar"
            | "asterisk.setGlobalVar"
            | "bridges.getBridgeVar"
            | "bridges.setBridgeVar"
            | "channels.getChannelVar"
            | "channels.setChannelVar",
            "variable",
        ) => "Variable name is required",
        ("bridges.getBridgeVars" | "channels.getChannelVars", "variables") => {
            "At least one variable name is required"
        }
        ("bridges.setBridgeVars" | "channels.setChannelVars", "variables") => {
            "The 'variables' field is required"
        }
        ("channels.externalMedia", "app") => "app cannot be empty",
        ("channels.transfer_progress", "states") => "states must not be empty",
        ("events.userEvent", "application") => "Missing parameter application",
        ("events.claimChannel", "channelId") => "channelId parameter is required",
        ("events.claimChannel", "application") => "application parameter is required",
        ("endpoints.sendMessage" | "endpoints.refer", "to") => "To must be specified",
        ("playbacks.control", "operation") => "Missing operation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_flags_read_as_asterisk_reads_them() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi(" -7ms"), -7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
        assert!(ast_true("Yes") && ast_true("on") && ast_true("1"));
        assert!(!ast_true("sure") && !ast_true("0"));
    }
}
