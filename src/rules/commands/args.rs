//! Python's `argparse` as pykickstart drives it (Python 3.11, `allow_abbrev`
//! on), replayed over the words of one command line or section header.
//!
//! The point is to agree with pykickstart on every line: which word is an
//! option, which is the value of the option before it, which positional
//! argument a word fills, and what is left over. Diagnostics are made by the
//! caller from the [`Parsed`] result; this module only knows argparse.

use crate::catalog::{resolve_option, Nargs, OptionMatch, OptionSpec, PositionalSpec, ValueKind};
use crate::source::TextRange;
use crate::syntax::model::Arg;

/// One word of the line as argparse receives it (after shell unquoting).
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// The whole string, e.g. `--size=100` or `/boot`.
    pub text: String,
    /// The whole word in the file.
    pub range: TextRange,
    /// For `--name=value`: the `--name` part; otherwise the whole word.
    pub name_range: TextRange,
    /// For `--name=value`: the value and its range (empty range after `=`
    /// when the value is empty).
    pub explicit: Option<Value>,
}

/// A value given to an option or positional argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub text: String,
    pub range: TextRange,
}

impl Token {
    /// The option part of the word (`--size` of `--size=100`).
    pub fn name(&self) -> &str {
        match &self.explicit {
            Some(_) => self
                .text
                .split_once('=')
                .map_or(&self.text[..], |(name, _)| name),
            None => &self.text,
        }
    }
}

/// Turns the model's arguments into argparse tokens. `source` is the file
/// text, used to find the `=` inside words that were not parsed as options
/// (e.g. a quoted `"--opt=value"`).
pub(crate) fn tokens(args: &[Arg], source: &str) -> Vec<Token> {
    args.iter()
        .map(|arg| match arg {
            Arg::Option(option) => {
                let has_eq = option.range.end > option.name_range.end;
                let explicit = has_eq.then(|| match &option.value {
                    Some(word) => Value {
                        text: word.value.clone(),
                        range: word.range,
                    },
                    None => Value {
                        text: String::new(),
                        range: TextRange::empty(option.range.end),
                    },
                });
                let text = match &explicit {
                    Some(value) => format!("{}={}", option.name, value.text),
                    None => option.name.clone(),
                };
                Token {
                    text,
                    range: option.range,
                    name_range: option.name_range,
                    explicit,
                }
            }
            Arg::Word(word) => {
                let mut token = Token {
                    text: word.value.clone(),
                    range: word.range,
                    name_range: word.range,
                    explicit: None,
                };
                if word.value.starts_with('-') {
                    if let Some((name, value)) = word.value.split_once('=') {
                        let raw = source.get(word.range.start..word.range.end).unwrap_or("");
                        // Exact sub-ranges only when the word is written as is.
                        let (name_range, value_range) = if raw == word.value {
                            let eq = word.range.start + name.len();
                            (
                                TextRange::new(word.range.start, eq),
                                TextRange::new(eq + 1, word.range.end),
                            )
                        } else {
                            (word.range, word.range)
                        };
                        token.name_range = name_range;
                        token.explicit = Some(Value {
                            text: value.to_string(),
                            range: value_range,
                        });
                    }
                }
                token
            }
        })
        .collect()
}

/// What argparse makes of one token before consuming anything.
#[derive(Clone, Debug)]
pub(crate) enum Class {
    /// A value: a positional argument or the value of the option before it.
    Word,
    /// `--`: every later token is a value.
    DoubleDash,
    /// A known option, spelled out or abbreviated.
    Known {
        spec: &'static OptionSpec,
        /// The spelling it matched (the full one for an abbreviation).
        full: &'static str,
        abbreviated: bool,
    },
    /// An abbreviation of several spellings (argparse raises).
    Ambiguous(Vec<&'static str>),
    /// Exactly the name of an option this parser no longer has.
    Removed,
    /// Looks like an option, but the parser has none by that name.
    Unknown,
}

fn is_negative_number(text: &str) -> bool {
    // argparse: '^-\d+$|^-\d*\.\d+$'
    let Some(rest) = text.strip_prefix('-') else {
        return false;
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(rest) {
        return true;
    }
    match rest.split_once('.') {
        Some((int, frac)) => int.bytes().all(|b| b.is_ascii_digit()) && all_digits(frac),
        None => false,
    }
}

fn exact(
    options: &'static [OptionSpec],
    name: &str,
) -> Option<(&'static OptionSpec, &'static str)> {
    options
        .iter()
        .filter(|o| o.is_live())
        .find_map(|o| o.names.iter().find(|n| **n == name).map(|n| (o, *n)))
}

/// `ArgumentParser._parse_optional` (Python 3.11).
pub(crate) fn classify(options: &'static [OptionSpec], text: &str) -> Class {
    if !text.starts_with('-') {
        return Class::Word;
    }
    if text == "--" {
        return Class::DoubleDash;
    }
    if let Some((spec, full)) = exact(options, text) {
        return Class::Known {
            spec,
            full,
            abbreviated: false,
        };
    }
    if text.len() == 1 {
        return Class::Word;
    }
    let name = text.split_once('=').map_or(text, |(name, _)| name);
    if name != text {
        if let Some((spec, full)) = exact(options, name) {
            return Class::Known {
                spec,
                full,
                abbreviated: false,
            };
        }
    }
    let mut removed = false;
    if text.starts_with("--") {
        match resolve_option(options, name) {
            OptionMatch::Exact(spec) => {
                return Class::Known {
                    spec,
                    full: spec.name(),
                    abbreviated: false,
                }
            }
            OptionMatch::Prefix(spec, full) => {
                return Class::Known {
                    spec,
                    full,
                    abbreviated: true,
                }
            }
            OptionMatch::Ambiguous(hits) => {
                return Class::Ambiguous(hits.into_iter().map(|(name, _)| name).collect())
            }
            OptionMatch::Removed(_) => removed = true,
            OptionMatch::Unknown => {}
        }
    }
    if is_negative_number(text) || text.contains(' ') {
        return Class::Word;
    }
    if removed {
        Class::Removed
    } else {
        Class::Unknown
    }
}

/// One use of a known option.
#[derive(Debug)]
pub(crate) struct Given<'t> {
    pub spec: &'static OptionSpec,
    pub token: &'t Token,
    pub values: Vec<Value>,
}

/// Something argparse raises an error for (pykickstart turns it into a
/// `KickstartParseError` and drops the line).
#[derive(Debug)]
pub(crate) enum Problem<'t> {
    Ambiguous {
        token: &'t Token,
        candidates: Vec<&'static str>,
    },
    /// `--size` with no value after it (or not enough values).
    MissingValue {
        token: &'t Token,
        spec: &'static OptionSpec,
    },
    /// `--grow=yes`: a flag given a value.
    FlagWithValue {
        token: &'t Token,
        spec: &'static OptionSpec,
    },
    /// A value the option's type or choices reject.
    InvalidValue {
        spec: &'static OptionSpec,
        value: Value,
    },
    /// A positional value the argument's choices reject.
    InvalidPositional {
        spec: &'static PositionalSpec,
        value: Value,
    },
    /// A required option that is not there.
    MissingOption(&'static OptionSpec),
    /// A required positional argument that is not there.
    MissingPositional(&'static PositionalSpec),
}

/// The outcome of parsing one line.
#[derive(Debug)]
pub(crate) struct Parsed<'t> {
    pub given: Vec<Given<'t>>,
    /// Values of each positional, in the parser's order; `None` when argparse
    /// never reached it.
    pub positionals: Vec<Option<Vec<Value>>>,
    /// Tokens nothing consumed: unknown options and surplus words, in order.
    pub extras: Vec<&'t Token>,
    pub problems: Vec<Problem<'t>>,
    /// How each token was classified (parallel to the tokens).
    pub classes: Vec<Class>,
}

impl<'t> Parsed<'t> {
    /// The last use of the option whose primary name is `primary`.
    pub fn get(&self, primary: &str) -> Option<&Given<'t>> {
        self.given.iter().rev().find(|g| g.spec.name() == primary)
    }

    pub fn has(&self, primary: &str) -> bool {
        self.get(primary).is_some()
    }

    /// The value of the last use of `primary`.
    pub fn value(&self, primary: &str) -> Option<&str> {
        self.get(primary)
            .and_then(|g| g.values.last())
            .map(|v| v.text.as_str())
    }

    /// Python truthiness of the destination after parsing: flags are true
    /// when given, strings when non-empty, integers when non-zero, comma
    /// lists when they have an item.
    pub fn truthy(&self, primary: &str) -> bool {
        let Some(given) = self.get(primary) else {
            return false;
        };
        if !given.spec.takes_value() {
            return true;
        }
        given.values.iter().any(|value| match given.spec.value {
            ValueKind::Int => python_int(&value.text).is_some_and(|n| n != 0),
            ValueKind::CommaList => value.text.split(',').any(|item| !item.trim().is_empty()),
            _ => !value.text.is_empty(),
        })
    }

    /// The integer value of `primary`, if given and valid.
    pub fn int(&self, primary: &str) -> Option<i64> {
        self.value(primary).and_then(python_int)
    }

    /// The values of positional number `index` (empty when not given).
    pub fn positional(&self, index: usize) -> &[Value] {
        self.positionals
            .get(index)
            .and_then(Option::as_ref)
            .map_or(&[], Vec::as_slice)
    }
}

/// Python's `int()` on a string, for the values that fit an `i64`.
pub(crate) fn python_int(text: &str) -> Option<i64> {
    if !ValueKind::Int.accepts(text) {
        return None;
    }
    text.trim().replace('_', "").parse().ok()
}

/// `ArgumentParser._parse_known_args` (Python 3.11) over `tokens`.
pub(crate) fn parse<'t>(
    tokens: &'t [Token],
    options: &'static [OptionSpec],
    positionals: &'static [PositionalSpec],
) -> Parsed<'t> {
    let mut classes: Vec<Class> = Vec::with_capacity(tokens.len());
    let mut after_double_dash = false;
    for token in tokens {
        let class = if after_double_dash {
            Class::Word
        } else {
            classify(options, &token.text)
        };
        if matches!(class, Class::DoubleDash) {
            after_double_dash = true;
        }
        classes.push(class);
    }
    // The `--` marker itself takes part in no match.
    let live: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(classes[i], Class::DoubleDash))
        .collect();
    let is_word = |i: usize| matches!(classes[live[i]], Class::Word);
    let run_from = |start: usize| (start..live.len()).take_while(|&i| is_word(i)).count();

    let mut parser = Parser {
        tokens,
        given: Vec::new(),
        positional_values: vec![None; positionals.len()],
        next_positional: 0,
        extras: Vec::new(),
        problems: Vec::new(),
    };

    let option_indices: Vec<usize> = (0..live.len()).filter(|&i| !is_word(i)).collect();
    let mut start = 0;
    if let Some(&max_option) = option_indices.last() {
        while start <= max_option {
            let next_option = option_indices
                .iter()
                .copied()
                .find(|&i| i >= start)
                .unwrap_or(max_option);
            if start != next_option {
                let end = parser.consume_positionals(positionals, &live, start, run_from(start));
                if end > start {
                    start = end;
                    continue;
                }
            }
            if is_word(start) {
                for i in start..next_option {
                    parser.extras.push(&tokens[live[i]]);
                }
                start = next_option;
            }
            // `start` is an option now.
            let token = &tokens[live[start]];
            start = match &classes[live[start]] {
                Class::Known { spec, .. } => {
                    let run = run_from(start + 1);
                    let taken = parser.consume_option(token, spec, &live, start, run);
                    start + 1 + taken
                }
                Class::Ambiguous(candidates) => {
                    parser.problems.push(Problem::Ambiguous {
                        token,
                        candidates: candidates.clone(),
                    });
                    start + 1
                }
                _ => {
                    parser.extras.push(token);
                    start + 1
                }
            };
        }
    }
    let stop = parser.consume_positionals(positionals, &live, start, run_from(start));
    for i in stop..live.len() {
        parser.extras.push(&tokens[live[i]]);
    }

    for spec in options.iter().filter(|o| o.is_live() && o.required) {
        if !parser.given.iter().any(|g| std::ptr::eq(g.spec, spec)) {
            parser.problems.push(Problem::MissingOption(spec));
        }
    }
    for (spec, values) in positionals.iter().zip(&parser.positional_values) {
        if values.is_none() && (spec.required || spec.nargs.min() > 0) {
            parser.problems.push(Problem::MissingPositional(spec));
        }
    }
    Parsed {
        given: parser.given,
        positionals: parser.positional_values,
        extras: parser.extras,
        problems: parser.problems,
        classes,
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    given: Vec<Given<'t>>,
    positional_values: Vec<Option<Vec<Value>>>,
    next_positional: usize,
    extras: Vec<&'t Token>,
    problems: Vec<Problem<'t>>,
}

impl<'t> Parser<'t> {
    fn value_of(&self, live: &[usize], index: usize) -> Value {
        let token = &self.tokens[live[index]];
        Value {
            text: token.text.clone(),
            range: token.range,
        }
    }

    /// Consumes an option at `live[index]` followed by `run` plain words;
    /// returns how many of those words it took.
    fn consume_option(
        &mut self,
        token: &'t Token,
        spec: &'static OptionSpec,
        live: &[usize],
        index: usize,
        run: usize,
    ) -> usize {
        let mut values = Vec::new();
        let mut taken = 0;
        if let Some(explicit) = &token.explicit {
            match spec.nargs {
                Nargs::Zero => self.problems.push(Problem::FlagWithValue { token, spec }),
                Nargs::Exactly(n) if n != 1 => {
                    self.problems.push(Problem::MissingValue { token, spec });
                }
                _ => values.push(explicit.clone()),
            }
        } else {
            let wanted = match spec.nargs {
                Nargs::Zero => Some(0),
                Nargs::One => (run >= 1).then_some(1),
                Nargs::Optional => Some(run.min(1)),
                Nargs::ZeroOrMore => Some(run),
                Nargs::OneOrMore => (run >= 1).then_some(run),
                Nargs::Exactly(n) => (run >= usize::from(n)).then_some(usize::from(n)),
            };
            match wanted {
                Some(count) => {
                    taken = count;
                    values.extend((0..count).map(|k| self.value_of(live, index + 1 + k)));
                }
                None => self.problems.push(Problem::MissingValue { token, spec }),
            }
        }
        for value in &values {
            if !spec.value.accepts(&value.text) {
                self.problems.push(Problem::InvalidValue {
                    spec,
                    value: value.clone(),
                });
            }
        }
        self.given.push(Given {
            spec,
            token,
            values,
        });
        taken
    }

    /// `consume_positionals`: fills as many of the remaining positionals as
    /// can match the `run` plain words starting at `start`, each taking as
    /// many words as it can while leaving the minimum for the ones after it.
    /// Returns the index after the words taken.
    fn consume_positionals(
        &mut self,
        positionals: &'static [PositionalSpec],
        live: &[usize],
        start: usize,
        run: usize,
    ) -> usize {
        let remaining = &positionals[self.next_positional..];
        let Some(count) = (1..=remaining.len())
            .rev()
            .find(|&i| remaining[..i].iter().map(|p| p.nargs.min()).sum::<usize>() <= run)
        else {
            return start;
        };
        let mut left = run;
        let mut at = start;
        for (offset, spec) in remaining[..count].iter().enumerate() {
            let later_min: usize = remaining[offset + 1..count]
                .iter()
                .map(|p| p.nargs.min())
                .sum();
            let available = left - later_min;
            let take = spec.nargs.max().map_or(available, |max| max.min(available));
            let values: Vec<Value> = (at..at + take).map(|i| self.value_of(live, i)).collect();
            for value in &values {
                if !spec.value.accepts(&value.text) {
                    self.problems.push(Problem::InvalidPositional {
                        spec,
                        value: value.clone(),
                    });
                }
            }
            self.positional_values[self.next_positional + offset] = Some(values);
            at += take;
            left -= take;
        }
        self.next_positional += count;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{lookup_command, lookup_section, SyntaxVersion};

    fn toks(words: &[&str]) -> Vec<Token> {
        let mut at = 0;
        words
            .iter()
            .map(|w| {
                let range = TextRange::new(at, at + w.len());
                at += w.len() + 1;
                let explicit = w
                    .starts_with("--")
                    .then(|| w.split_once('='))
                    .flatten()
                    .map(|(n, v)| Value {
                        text: v.to_string(),
                        range: TextRange::new(range.start + n.len() + 1, range.end),
                    });
                Token {
                    text: (*w).to_string(),
                    range,
                    name_range: range,
                    explicit,
                }
            })
            .collect()
    }

    fn command(
        version: SyntaxVersion,
        name: &str,
        words: &[&str],
    ) -> (Vec<Token>, &'static crate::catalog::CommandSpec) {
        let (_, spec) = lookup_command(version, name).expect("known command");
        (toks(words), spec)
    }

    #[test]
    fn option_value_forms() {
        let (t, spec) = command(
            SyntaxVersion::RHEL9,
            "network",
            &["--bootproto", "dhcp", "--device=eth0", "--onboot", "yes"],
        );
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert!(parsed.extras.is_empty());
        assert_eq!(parsed.value("--bootproto"), Some("dhcp"));
        assert_eq!(parsed.value("--device"), Some("eth0"));
    }

    #[test]
    fn value_missing_at_end_or_before_an_option() {
        let (t, spec) = command(SyntaxVersion::RHEL9, "part", &["/", "--size"]);
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(matches!(
            parsed.problems[..],
            [Problem::MissingValue { .. }]
        ));
        let (t, spec) = command(SyntaxVersion::RHEL9, "part", &["/", "--size", "--grow"]);
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(matches!(
            parsed.problems[..],
            [Problem::MissingValue { .. }]
        ));
    }

    #[test]
    fn flags_values_and_types() {
        let (t, spec) = command(
            SyntaxVersion::RHEL9,
            "part",
            &["/", "--grow=yes", "--size=1G"],
        );
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(matches!(
            parsed.problems[..],
            [Problem::FlagWithValue { .. }, Problem::InvalidValue { .. }]
        ));
    }

    #[test]
    fn positionals_fill_like_argparse() {
        // raid: the '*' members positional is filled empty by the first chunk,
        // later words are extras (pykickstart then takes them as members).
        let (t, spec) = command(
            SyntaxVersion::RHEL9,
            "raid",
            &["/", "--level=1", "--device=md0", "raid.01", "raid.02"],
        );
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.positional(0)[0].text, "/");
        assert!(parsed.positional(1).is_empty());
        assert_eq!(parsed.extras.len(), 2);
        // part: a second word is an extra.
        let (t, spec) = command(SyntaxVersion::RHEL9, "part", &["/", "/boot", "--size=1"]);
        let parsed = parse(&t, spec.options, spec.positionals);
        assert_eq!(parsed.extras.len(), 1);
        assert_eq!(parsed.extras[0].text, "/boot");
        // part: no mount point.
        let (t, spec) = command(SyntaxVersion::RHEL9, "part", &["--size=1"]);
        let parsed = parse(&t, spec.options, spec.positionals);
        assert!(matches!(
            parsed.problems[..],
            [Problem::MissingPositional(_)]
        ));
    }

    #[test]
    fn classification() {
        let (_, spec) = command(SyntaxVersion::RHEL9, "part", &[]);
        assert!(matches!(classify(spec.options, "-1"), Class::Word));
        assert!(matches!(classify(spec.options, "-"), Class::Word));
        assert!(matches!(classify(spec.options, "--a b"), Class::Word));
        assert!(matches!(classify(spec.options, "-x"), Class::Unknown));
        assert!(matches!(
            classify(spec.options, "--fs=ext4"),
            Class::Ambiguous(_)
        ));
        assert!(matches!(
            classify(spec.options, "--gro"),
            Class::Known {
                abbreviated: true,
                full: "--grow",
                ..
            }
        ));
        let packages = lookup_section(SyntaxVersion::RHEL8, "%packages").expect("%packages");
        assert!(matches!(
            classify(packages.options, "--nobase"),
            Class::Removed
        ));
    }
}
