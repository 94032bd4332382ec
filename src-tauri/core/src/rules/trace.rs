//! The trace of a decision: ordered steps in plain words.

use std::fmt;

use serde::Serialize;

/// What the rules did and why, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Trace(Vec<String>);

impl Trace {
    pub fn new() -> Self {
        Trace::default()
    }

    /// A step that a text option decided: `option = "value": what was found → outcome`.
    pub fn option(&mut self, option: &str, value: impl fmt::Display, finding: impl fmt::Display) {
        self.0.push(format!("{option} = \"{value}\": {finding}"));
    }

    /// A step that a boolean or enumerated option decided: `option = value: … → outcome`.
    pub fn setting(&mut self, option: &str, value: impl fmt::Display, finding: impl fmt::Display) {
        self.0.push(format!("{option} = {value}: {finding}"));
    }

    /// A step that no single option decided (a fact, an IdP value).
    pub fn note(&mut self, text: impl Into<String>) {
        self.0.push(text.into());
    }

    pub fn steps(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: Trace) {
        self.0.extend(other.0);
    }

    pub fn into_steps(self) -> Vec<String> {
        self.0
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(step)?;
        }
        Ok(())
    }
}

/// A list of names for a trace: `"A", "B"`, or `no groups`.
pub(super) fn names(names: &[String]) -> String {
    if names.is_empty() {
        return "no groups".to_owned();
    }
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
