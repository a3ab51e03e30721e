//! Ids and names made comparable between servers and runs: each gets a token by first
//! appearance. Ids the program chose (`<tag>far`) become their label (`far`); ids a
//! server chose (a playback's UUID) become `#1`, `#2`, ...; a channel name's number
//! (`Local/7002@default-000000d8;1`) becomes `Local/7002@default-#3;1`; application
//! names become their role.

use serde_json::Value;

#[derive(Debug, Default)]
pub struct Ids {
    /// Raw text -> token, longest raw text first (so `x10` is not read as `x1` + `0`).
    tokens: Vec<(String, String)>,
    generated: usize,
}

impl Ids {
    /// An id (or application name) the program chose: its token is `label`.
    pub fn label(&mut self, raw: &str, label: &str) {
        self.insert(raw, label.to_owned());
    }

    /// An id a server chose: the next `#n`, unless known.
    pub fn learn(&mut self, raw: &str) {
        if raw.is_empty() || self.knows(raw) {
            return;
        }
        self.generated += 1;
        self.insert(raw, format!("#{}", self.generated));
    }

    /// A channel name: its base (before `;`) numbered as the server chose it.
    pub fn learn_name(&mut self, name: &str) {
        let base = name.rsplit_once(';').map_or(name, |(base, _)| base);
        if base.is_empty() || self.knows(base) {
            return;
        }
        self.generated += 1;
        let token = match base.rsplit_once('-') {
            Some((prefix, _)) => format!("{prefix}-#{}", self.generated),
            None => format!("#{}", self.generated),
        };
        self.insert(base, token);
    }

    /// The ids in a REST answer: objects' `id`s, channels' names (a channel is an
    /// object with `id`, `name` and `state`), lists item by item.
    pub fn learn_body(&mut self, body: &Value) {
        match body {
            Value::Array(items) => items.iter().for_each(|item| self.learn_body(item)),
            Value::Object(map) => {
                if let Some(Value::String(id)) = map.get("id") {
                    self.learn(id);
                    if let (Some(Value::String(name)), Some(_)) =
                        (map.get("name"), map.get("state"))
                    {
                        self.learn_name(name);
                    }
                }
            }
            _ => {}
        }
    }

    fn knows(&self, raw: &str) -> bool {
        self.tokens.iter().any(|(r, _)| r == raw)
    }

    fn insert(&mut self, raw: &str, token: String) {
        if self.knows(raw) {
            return;
        }
        let at = self
            .tokens
            .iter()
            .position(|(r, _)| r.len() < raw.len())
            .unwrap_or(self.tokens.len());
        self.tokens.insert(at, (raw.to_owned(), token));
    }

    /// A text with every known id replaced by its token.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (raw, token) in &self.tokens {
            if out.contains(raw.as_str()) {
                out = out.replace(raw.as_str(), token);
            }
        }
        out
    }
}

#[test]
fn ids_become_tokens_by_first_appearance() {
    let mut ids = Ids::default();
    ids.label("diff-9a-far", "far");
    ids.label("diff-9a-far1", "far1");
    ids.learn("4f08-uuid");
    ids.learn_name("Local/7002@default-000000d8;1");
    ids.learn("4f08-uuid");
    assert_eq!(ids.apply("diff-9a-far;2 diff-9a-far1"), "far;2 far1");
    assert_eq!(ids.apply("playback 4f08-uuid"), "playback #1");
    assert_eq!(
        ids.apply("Local/7002@default-000000d8;2"),
        "Local/7002@default-#2;2"
    );
}
