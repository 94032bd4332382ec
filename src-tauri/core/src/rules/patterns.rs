//! Group name lists with wildcards, as the provider options take them: names or patterns
//! separated by commas or new lines, `*` for any run of characters and `?` for one, compared
//! without regard to case, surrounding spaces trimmed.

use std::fmt;

/// A parsed list. Keeps the text as written, for traces and exports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patterns {
    text: String,
    patterns: Vec<Vec<char>>,
}

/// Why a list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);

/// The longest entry accepted.
const MAX_ENTRY: usize = 256;

impl Patterns {
    /// Parses `text`. An empty text is an empty list (the option is off). Entries may not be
    /// empty (`IT,,Support`), contain control characters, or use `[`/`]` (only `*` and `?` are
    /// wildcards here).
    pub fn parse(text: &str) -> Result<Patterns, PatternError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Patterns::default());
        }
        let mut patterns = Vec::new();
        for (i, entry) in trimmed.split([',', '\n']).enumerate() {
            let entry = entry.trim();
            let position = i + 1;
            if entry.is_empty() {
                return Err(PatternError(format!(
                    "entry {position} of \"{}\" is empty (a stray comma or blank line?)",
                    one_line(trimmed)
                )));
            }
            if entry.chars().count() > MAX_ENTRY {
                return Err(PatternError(format!(
                    "entry {position} is longer than {MAX_ENTRY} characters"
                )));
            }
            if let Some(c) = entry
                .chars()
                .find(|c| c.is_control() || matches!(c, '[' | ']'))
            {
                return Err(PatternError(format!(
                    "entry {position} (\"{entry}\") contains {c:?}; only * and ? are wildcards"
                )));
            }
            patterns.push(fold(entry));
        }
        Ok(Patterns {
            text: trimmed.to_owned(),
            patterns,
        })
    }

    /// The list as written (new lines shown as commas).
    pub fn text(&self) -> String {
        one_line(&self.text)
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `name` matches any entry.
    pub fn matches(&self, name: &str) -> bool {
        let name = fold(name.trim());
        self.patterns.iter().any(|p| glob(p, &name))
    }

    /// The first of `names` that matches, if any.
    pub fn first_match<'a>(&self, names: &'a [String]) -> Option<&'a str> {
        names.iter().map(String::as_str).find(|n| self.matches(n))
    }

    /// The entries (for default groups, which are plain names).
    pub fn entries(&self) -> Vec<String> {
        self.text
            .split([',', '\n'])
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect()
    }
}

impl fmt::Display for Patterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",")
}

fn fold(text: &str) -> Vec<char> {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// `*` and `?` matching, iterative with backtracking to the last `*` (linear for these
/// patterns in practice, never exponential).
fn glob(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == '?' || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_case_insensitively() {
        let list = Patterns::parse(" IT , Support*\nOps-??").unwrap();
        assert_eq!(list.text(), "IT , Support*,Ops-??");
        for (name, expected) in [
            ("it", true),
            ("IT", true),
            ("Support-EU", true),
            ("support", true),
            ("Ops-EU", true),
            ("Ops-EUW", false),
            ("Sales", false),
            ("ITS", false),
        ] {
            assert_eq!(list.matches(name), expected, "{name}");
        }
        assert!(Patterns::parse("*").unwrap().matches("anything"));
        assert!(Patterns::parse("a*b*c").unwrap().matches("AxxBxxC"));
        assert!(!Patterns::parse("a*b*c").unwrap().matches("axxbxx"));
        assert!(Patterns::parse("").unwrap().is_empty());
        assert!(!Patterns::parse("").unwrap().matches("x"));
    }

    #[test]
    fn malformed_lists_are_refused_with_the_entry() {
        for (text, says) in [
            ("IT,,Support", "entry 2"),
            ("IT,", "entry 2"),
            ("Admins,[A-Z]*", "only * and ? are wildcards"),
            ("IT\tOps", "'\\t'"),
        ] {
            let error = Patterns::parse(text).unwrap_err().0;
            assert!(error.contains(says), "{text}: {error}");
        }
        assert!(Patterns::parse(&"x".repeat(300)).is_err());
    }

    #[test]
    fn many_stars_stay_fast() {
        let list = Patterns::parse(&"*a".repeat(100)).unwrap();
        assert!(!list.matches(&"a".repeat(99)));
    }
}
