//! An operation's command line -> the SDK request: each parameter where the operation
//! wants it (path, query, body in its shape), values typed as the spec types them.

use clap::ArgMatches;
use serde_json::{Map, Value};

use ari_sdk::{BodyShape, OperationInfo, ParamInfo, ParamLocation, RawRequest};

use crate::commands::{VAR_FLAG, flag, positional_id};

/// The values given for each parameter, by name, after positionals are matched up.
pub struct Arguments {
    given: Vec<(&'static ParamInfo, Vec<String>)>,
    /// `--var KEY=VALUE` entries, for the operation's string-map body parameter.
    vars: Vec<(String, String)>,
}

impl Arguments {
    /// Collects the parameters; `Err` is a usage message.
    pub fn collect(op: &'static OperationInfo, matches: &ArgMatches) -> Result<Arguments, String> {
        let mut given = Vec::new();
        // Positional values fill the required parameters not given as flags, in order.
        let mut positionals: Vec<String> = op
            .params
            .iter()
            .filter(|p| p.required)
            .filter_map(|p| matches.get_one::<String>(&positional_id(p)).cloned())
            .collect();
        positionals.reverse();
        for param in op.params {
            let values: Vec<String> = matches
                .get_many::<String>(param.name)
                .map(|v| v.cloned().collect())
                .unwrap_or_default();
            if !values.is_empty() {
                given.push((param, values));
            } else if param.required {
                match positionals.pop() {
                    Some(value) => given.push((param, vec![value])),
                    None => {
                        return Err(format!(
                            "missing required parameter `{}`: give it in order after the \
                             command or as --{}",
                            param.name,
                            flag(param)
                        ));
                    }
                }
            }
        }
        let vars: Vec<(String, String)> = matches
            .try_get_many::<(String, String)>(VAR_FLAG)
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        Ok(Arguments { given, vars })
    }

    /// The path parameters, as the SDK takes them.
    pub fn path_values(&self) -> Vec<(&'static str, &str)> {
        self.given
            .iter()
            .filter(|(p, _)| p.location == ParamLocation::Path)
            .map(|(p, v)| (p.name, v[0].as_str()))
            .collect()
    }

    /// Adds the query and body parameters to `request`; `Err` is a usage message.
    pub fn apply(&self, op: &OperationInfo, mut request: RawRequest) -> Result<RawRequest, String> {
        for (param, values) in &self.given {
            match param.location {
                ParamLocation::Path => {}
                ParamLocation::Query => {
                    request = request.query(param.name, values.join(","));
                }
                ParamLocation::Body => {
                    let value = body_value(param, values)?;
                    request = add_body(request, param, value)?;
                }
            }
        }
        if !self.vars.is_empty() {
            let Some(param) = op
                .params
                .iter()
                .find(|p| p.ty == "containers" && p.location == ParamLocation::Body)
            else {
                return Err(format!("--{VAR_FLAG} is not a parameter of {}", op.name));
            };
            if self.given.iter().any(|(p, _)| p.name == param.name) {
                return Err(format!(
                    "give `{}` either as JSON or with --{VAR_FLAG}, not both",
                    param.name
                ));
            }
            let map: Map<String, Value> = self
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            request = add_body(request, param, Value::Object(map))?;
        }
        Ok(request)
    }
}

/// A body parameter's value as JSON, typed as the spec types it.
fn body_value(param: &ParamInfo, values: &[String]) -> Result<Value, String> {
    let one = |text: &str| -> Result<Value, String> {
        Ok(
            match param.ty.trim_start_matches("List[").trim_end_matches(']') {
                "int" | "long" => Value::from(
                    text.parse::<i64>()
                        .map_err(|_| format!("`{text}` is not a whole number"))?,
                ),
                "double" => serde_json::Number::from_f64(
                    text.parse::<f64>()
                        .map_err(|_| format!("`{text}` is not a number"))?,
                )
                .map(Value::Number)
                .ok_or_else(|| format!("`{text}` is not a finite number"))?,
                "boolean" => Value::Bool(text == "true"),
                "containers" | "object" => serde_json::from_str(text)
                    .map_err(|e| format!("--{}: not JSON: {e}", flag(param)))?,
                _ => Value::String(text.to_owned()),
            },
        )
    };
    if param.ty.starts_with("List[") {
        return values
            .iter()
            .map(|v| one(v))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if param.multiple {
        return Ok(Value::String(values.join(",")));
    }
    one(&values[0])
}

fn add_body(request: RawRequest, param: &ParamInfo, value: Value) -> Result<RawRequest, String> {
    Ok(match param.body_shape {
        BodyShape::Member => request.body_field(param.name, value),
        BodyShape::Whole => {
            let Value::Object(members) = value else {
                return Err(format!(
                    "--{} must be a JSON object: its members are the request's body",
                    flag(param)
                ));
            };
            members
                .into_iter()
                .fold(request, |request, (k, v)| request.body_field(&k, v))
        }
        BodyShape::AttributeList => {
            let Value::Object(members) = value else {
                return Err(format!(
                    "--{} must be a JSON object of strings",
                    flag(param)
                ));
            };
            let pairs: Vec<Value> = members
                .into_iter()
                .map(|(attribute, value)| serde_json::json!({ "attribute": attribute, "value": value }))
                .collect();
            request.body_field(param.name, Value::Array(pairs))
        }
    })
}
