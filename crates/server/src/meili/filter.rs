//! Meilisearch's filter language, parsed into folio's [`FilterExpr`].
//!
//! ```text
//! filter    = or EOF                  an empty or blank string is no filter
//! or        = and { "OR" and }
//! and       = not { "AND" not }       precedence: NOT > AND > OR
//! not       = "NOT" not | primary
//! primary   = "(" or ")"
//!           | attr op value
//!           | attr value "TO" value                    ≡ attr >= value AND attr <= value
//!           | attr [ "NOT" ] "IN" "[" [ value { "," value } ] [ "," ] "]"
//!           | attr [ "NOT" ] "EXISTS"
//!           | attr "IS" [ "NOT" ] "NULL"
//!           | attr "IS" [ "NOT" ] "EMPTY"
//! op        = "=" | "!=" | ">" | ">=" | "<" | "<="
//! attr      = token        value = token
//! token     = word | "'" { char | "\'" } "'" | '"' { char | '\"' } '"'
//! word      = { alphanumeric | "_" | "-" | "." }+ that is not a keyword
//! keywords  = AND OR NOT IN TO EXISTS IS NULL EMPTY CONTAINS STARTS WITH   (upper case only)
//! ```
//!
//! Whitespace is optional around operators, brackets and quoted tokens (`"year">=1800`). Inside
//! quotes a backslash escapes the quote and a backslash; any other backslash is kept. At most
//! [`MAX_DEPTH`] parentheses and `NOT`s may nest, so no input can exhaust the stack.
//!
//! The JSON form ([`parse_json`]) is a string, or an array whose elements are ANDed: each element
//! a string, or an array of strings that are ORed (the shape InstantSearch's adapter sends).
//!
//! Meaning, as in Meilisearch: `=` compares strings exactly and numbers numerically (`year = 1824`
//! and `year = "1824"` are the same); `!=` is `NOT =` (so it also selects paragraphs without the
//! attribute, which only happens for `theme`); `>`, `>=`, `<`, `<=` and `TO` need numbers; a list
//! attribute (`theme`) matches when any element does. A paragraph without themes has no `theme`
//! (`theme EXISTS` is false, `theme IS EMPTY` true); no attribute is ever null. Errors say what
//! was expected and where, in Meilisearch's `start:end filter` form (1-based characters).

use std::ops::Bound;

use folio_search::{FilterExpr, FilterField};
use serde_json::Value;

/// Deepest nesting of parentheses and `NOT`s.
pub const MAX_DEPTH: usize = 200;

/// Attribute names a filter may use, as listed in errors.
pub const FILTERABLE: &[&str] = &[
    "doc_id", "kind", "position", "source", "theme", "themes", "year",
];

const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IN", "TO", "EXISTS", "IS", "NULL", "EMPTY", "CONTAINS", "STARTS", "WITH",
];

/// Parses the `filter` parameter's JSON value. `Ok(None)`: no filter.
pub fn parse_json(value: &Value) -> Result<Option<FilterExpr>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => parse(s),
        Value::Array(items) => {
            let mut ands = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => ands.extend(parse(s)?),
                    Value::Array(inner) => {
                        let mut ors = Vec::new();
                        for (j, v) in inner.iter().enumerate() {
                            match v {
                                Value::String(s) => ors.extend(parse(s)?),
                                other => {
                                    return Err(format!(
                                        "Invalid value type at `.filter[{i}][{j}]`: expected a string, but found {}",
                                        describe(other)
                                    ));
                                }
                            }
                        }
                        match ors.len() {
                            0 => {}
                            1 => ands.extend(ors.pop()),
                            _ => ands.push(FilterExpr::Or(ors)),
                        }
                    }
                    other => {
                        return Err(format!(
                            "Invalid value type at `.filter[{i}]`: expected a string or an array of strings, but found {}",
                            describe(other)
                        ));
                    }
                }
            }
            Ok(match ands.len() {
                0 => None,
                1 => ands.pop(),
                _ => Some(FilterExpr::And(ands)),
            })
        }
        other => Err(format!(
            "Invalid value type at `.filter`: expected a string or an array, but found {}",
            describe(other)
        )),
    }
}

/// Parses one filter expression. `Ok(None)`: the string is blank.
pub fn parse(filter: &str) -> Result<Option<FilterExpr>, String> {
    let tokens = lex(filter)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        filter,
        tokens: &tokens,
        pos: 0,
    };
    let node = parser.or(0)?;
    if let Some(t) = parser.peek() {
        return Err(parser.error_at(
            t.start,
            filter.chars().count(),
            "Found unexpected characters at the end of the filter: `{rest}`. You probably forgot an `OR` or an `AND` rule.",
        ));
    }
    lower(&node, filter).map(Some)
}

/// A short description of a JSON value for error messages: `a number: `5``.
pub fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".to_string(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("{kind}: `{v}`")
}

// ---- tokens ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A word or a quoted string; keywords are unquoted words.
    Text {
        text: String,
        quoted: bool,
    },
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

/// A token and its character range in the filter.
#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

impl Token {
    fn keyword(&self) -> Option<&str> {
        match &self.tok {
            Tok::Text {
                text,
                quoted: false,
            } if KEYWORDS.contains(&text.as_str()) => Some(text),
            _ => None,
        }
    }

    fn is_keyword(&self, k: &str) -> bool {
        self.keyword() == Some(k)
    }

    /// The token as a value or attribute name, unless it is a keyword or punctuation.
    fn text(&self) -> Option<&str> {
        match &self.tok {
            Tok::Text { text, .. } if self.keyword().is_none() => Some(text),
            _ => None,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn lex(filter: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = filter.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let located = |msg: String, start: usize, end: usize| {
        format!("{msg}\n{}:{} {filter}", start + 1, end + 1)
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = simple {
            tokens.push(Token {
                tok,
                start,
                end: start + 1,
            });
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if matches!(c, '=' | '!' | '<' | '>') {
            let next_eq = chars.get(i + 1) == Some(&'=');
            let op = match (c, next_eq) {
                ('=', _) => Op::Eq,
                ('!', true) => Op::Ne,
                ('!', false) => {
                    return Err(located(
                        "Found unexpected character `!`: use `!=` or `NOT`.".to_string(),
                        start,
                        start + 1,
                    ));
                }
                ('<', true) => Op::Le,
                ('<', false) => Op::Lt,
                ('>', true) => Op::Ge,
                (_, _) => Op::Gt,
            };
            let len = if c != '=' && next_eq { 2 } else { 1 };
            tokens.push(Token {
                tok: Tok::Op(op),
                start,
                end: start + len,
            });
            i += len;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut text = String::new();
            let mut j = i + 1;
            let mut closed = false;
            while j < chars.len() {
                match chars[j] {
                    '\\' if j + 1 < chars.len() => {
                        let next = chars[j + 1];
                        if next == c || next == '\\' {
                            text.push(next);
                        } else {
                            text.push('\\');
                            text.push(next);
                        }
                        j += 2;
                    }
                    q if q == c => {
                        closed = true;
                        break;
                    }
                    other => {
                        text.push(other);
                        j += 1;
                    }
                }
            }
            if !closed {
                return Err(located(
                    format!(
                        "Expression `{}` is missing the following closing delimiter: `{c}`.",
                        &filter_slice(&chars, start, chars.len())
                    ),
                    start,
                    chars.len(),
                ));
            }
            tokens.push(Token {
                tok: Tok::Text { text, quoted: true },
                start,
                end: j + 1,
            });
            i = j + 1;
            continue;
        }
        if is_word_char(c) {
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j]) {
                j += 1;
            }
            tokens.push(Token {
                tok: Tok::Text {
                    text: filter_slice(&chars, i, j),
                    quoted: false,
                },
                start,
                end: j,
            });
            i = j;
            continue;
        }
        return Err(located(
            format!(
                "Found unexpected character `{c}`. Quote values that hold characters other than letters, digits, `_`, `-` and `.`."
            ),
            start,
            start + 1,
        ));
    }
    Ok(tokens)
}

fn filter_slice(chars: &[char], start: usize, end: usize) -> String {
    chars[start.min(chars.len())..end.min(chars.len())]
        .iter()
        .collect()
}

// ---- syntax tree ----

/// A token's text and where it is.
#[derive(Clone, Debug)]
struct Spanned {
    text: String,
    start: usize,
    end: usize,
}

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Condition { attr: Spanned, test: Test },
}

#[derive(Debug)]
enum Test {
    Compare(Op, Spanned),
    Range(Spanned, Spanned),
    In(Vec<Spanned>),
    Exists,
    Null,
    Empty,
}

struct Parser<'a> {
    filter: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

const EXPECTED_OPERATION: &str = "Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY` at `{rest}`.";

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'a Token> {
        let t = self.tokens.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_keyword(k)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Where the input ends, in characters.
    fn end(&self) -> usize {
        self.filter.chars().count()
    }

    /// An error about characters `start..end`; `{rest}` in `message` becomes the filter from
    /// `start` on.
    fn error_at(&self, start: usize, end: usize, message: &str) -> String {
        let rest: String = self.filter.chars().skip(start).collect();
        let end = end.max(start + 1);
        format!(
            "{}\n{}:{} {}",
            message.replace("{rest}", rest.trim_end()),
            start + 1,
            end + 1,
            self.filter
        )
    }

    /// An error at the next token (or at the end of the input).
    fn error_here(&self, message: &str) -> String {
        match self.peek() {
            Some(t) => self.error_at(t.start, t.end, message),
            None => {
                let end = self.end();
                self.error_at(end, end, message)
            }
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            Err(self.error_here(
                "The filter exceeded the maximum depth limit. Try rewriting the filter so that it contains fewer nested conditions.",
            ))
        } else {
            Ok(())
        }
    }

    fn or(&mut self, depth: usize) -> Result<Node, String> {
        let mut parts = vec![self.and(depth)?];
        while self.eat_keyword("OR") {
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Node, String> {
        let mut parts = vec![self.not(depth)?];
        while self.eat_keyword("AND") {
            parts.push(self.not(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::And(parts)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Node, String> {
        if self.eat_keyword("NOT") {
            self.check_depth(depth + 1)?;
            return Ok(Node::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Node, String> {
        let Some(token) = self.peek() else {
            return Err(self.error_here("Was expecting a condition but the filter ended."));
        };
        if token.tok == Tok::LParen {
            self.check_depth(depth + 1)?;
            self.pos += 1;
            let inner = self.or(depth + 1)?;
            match self.next() {
                Some(Token {
                    tok: Tok::RParen, ..
                }) => Ok(inner),
                _ => {
                    let end = self.end();
                    Err(self.error_at(
                        token.start,
                        end,
                        "Expression `{rest}` is missing the following closing delimiter: `)`.",
                    ))
                }
            }
        } else if let Some(attr) = token.text() {
            self.pos += 1;
            let attr = Spanned {
                text: attr.to_string(),
                start: token.start,
                end: token.end,
            };
            let (test, negated) = self.test(&attr)?;
            let condition = Node::Condition { attr, test };
            Ok(if negated {
                Node::Not(Box::new(condition))
            } else {
                condition
            })
        } else {
            Err(self.error_here("Was expecting an attribute, `NOT` or `(` at `{rest}`."))
        }
    }

    /// What follows an attribute, and whether it was negated (`NOT IN`, `NOT EXISTS`,
    /// `IS NOT NULL`, `IS NOT EMPTY`).
    fn test(&mut self, attr: &Spanned) -> Result<(Test, bool), String> {
        let Some(token) = self.peek() else {
            return Err(self.error_at(attr.start, attr.end, EXPECTED_OPERATION));
        };
        if let Tok::Op(op) = token.tok {
            self.pos += 1;
            let value = self.value(&format!("after `{}`", op.as_str()))?;
            return Ok((Test::Compare(op, value), false));
        }
        if token.text().is_some() {
            let from = self.value("")?;
            if !self.eat_keyword("TO") {
                return Err(self.error_here(
                    "Was expecting `TO` after the lower bound of a range (`attribute FROM TO TO`) at `{rest}`.",
                ));
            }
            let to = self.value("after `TO`")?;
            return Ok((Test::Range(from, to), false));
        }
        match token.keyword() {
            Some("IN") => {
                self.pos += 1;
                Ok((Test::In(self.list()?), false))
            }
            Some("EXISTS") => {
                self.pos += 1;
                Ok((Test::Exists, false))
            }
            Some("NOT") => {
                self.pos += 1;
                if self.eat_keyword("IN") {
                    Ok((Test::In(self.list()?), true))
                } else if self.eat_keyword("EXISTS") {
                    Ok((Test::Exists, true))
                } else {
                    Err(self.error_here("Was expecting `IN` or `EXISTS` after `NOT` at `{rest}`."))
                }
            }
            Some("IS") => {
                self.pos += 1;
                let negated = self.eat_keyword("NOT");
                if self.eat_keyword("NULL") {
                    Ok((Test::Null, negated))
                } else if self.eat_keyword("EMPTY") {
                    Ok((Test::Empty, negated))
                } else {
                    Err(self.error_here(
                        "Was expecting `NULL` or `EMPTY` after `IS` or `IS NOT` at `{rest}`.",
                    ))
                }
            }
            Some("CONTAINS") | Some("STARTS") => Err(self.error_at(
                token.start,
                token.end,
                "`CONTAINS` and `STARTS WITH` are not supported by folio: use `=`, `IN` or the query `q`.",
            )),
            _ => Err(self.error_at(attr.start, attr.end, EXPECTED_OPERATION)),
        }
    }

    fn value(&mut self, context: &str) -> Result<Spanned, String> {
        match self.peek() {
            Some(t) if t.text().is_some() => {
                self.pos += 1;
                Ok(Spanned {
                    text: t.text().unwrap_or_default().to_string(),
                    start: t.start,
                    end: t.end,
                })
            }
            Some(t) => Err(self.error_at(
                t.start,
                t.end,
                &format!("Was expecting a value {context} but instead got `{{rest}}`. Quote values that are keywords."),
            )),
            None => Err(self.error_here(&format!("Was expecting a value {context} but the filter ended."))),
        }
    }

    /// `[ value, value, ... ]` after `IN`.
    fn list(&mut self) -> Result<Vec<Spanned>, String> {
        match self.next() {
            Some(Token {
                tok: Tok::LBracket, ..
            }) => {}
            _ => {
                self.pos = self.pos.saturating_sub(1);
                return Err(self.error_here("Was expecting `[` after `IN` at `{rest}`."));
            }
        }
        let mut values = Vec::new();
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::RBracket) => {
                    self.pos += 1;
                    return Ok(values);
                }
                None => {
                    return Err(self.error_here(
                        "Expression is missing the following closing delimiter: `]`.",
                    ));
                }
                _ => {}
            }
            values.push(self.value("in the list")?);
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Comma) => self.pos += 1,
                Some(Tok::RBracket) => {}
                _ => {
                    return Err(
                        self.error_here("Was expecting `,` or `]` in the list at `{rest}`.")
                    );
                }
            }
        }
    }
}

// ---- meaning ----

/// Turns the syntax tree into a filter expression, checking attributes and numbers.
fn lower(node: &Node, filter: &str) -> Result<FilterExpr, String> {
    let located =
        |message: String, s: &Spanned| format!("{message}\n{}:{} {filter}", s.start + 1, s.end + 1);
    Ok(match node {
        Node::And(parts) => FilterExpr::And(
            parts
                .iter()
                .map(|p| lower(p, filter))
                .collect::<Result<_, _>>()?,
        ),
        Node::Or(parts) => FilterExpr::Or(
            parts
                .iter()
                .map(|p| lower(p, filter))
                .collect::<Result<_, _>>()?,
        ),
        Node::Not(inner) => FilterExpr::Not(Box::new(lower(inner, filter)?)),
        Node::Condition { attr, test } => {
            let field = FilterField::parse(&attr.text).ok_or_else(|| {
                located(
                    format!(
                        "Attribute `{}` is not filterable. Available filterable attributes are: `{}`.",
                        attr.text,
                        FILTERABLE.join(", ")
                    ),
                    attr,
                )
            })?;
            let number = |v: &Spanned| -> Result<f64, String> {
                match v.text.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(n),
                    _ => Err(located(
                        format!(
                            "`{}` is not a number: `>`, `>=`, `<`, `<=` and `TO` compare numbers.",
                            v.text
                        ),
                        v,
                    )),
                }
            };
            let equals = |v: &Spanned| FilterExpr::Equals(field, v.text.clone());
            match test {
                Test::Compare(Op::Eq, v) => equals(v),
                Test::Compare(Op::Ne, v) => FilterExpr::Not(Box::new(equals(v))),
                Test::Compare(Op::Gt, v) => {
                    FilterExpr::Range(field, Bound::Excluded(number(v)?), Bound::Unbounded)
                }
                Test::Compare(Op::Ge, v) => {
                    FilterExpr::Range(field, Bound::Included(number(v)?), Bound::Unbounded)
                }
                Test::Compare(Op::Lt, v) => {
                    FilterExpr::Range(field, Bound::Unbounded, Bound::Excluded(number(v)?))
                }
                Test::Compare(Op::Le, v) => {
                    FilterExpr::Range(field, Bound::Unbounded, Bound::Included(number(v)?))
                }
                Test::Range(from, to) => FilterExpr::Range(
                    field,
                    Bound::Included(number(from)?),
                    Bound::Included(number(to)?),
                ),
                Test::In(values) => FilterExpr::Or(values.iter().map(equals).collect()),
                Test::Exists => FilterExpr::Exists(field),
                Test::Null => FilterExpr::Nothing,
                Test::Empty => FilterExpr::Empty(field),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use FilterExpr::*;
    use FilterField::*;

    fn ok(s: &str) -> FilterExpr {
        match parse(s) {
            Ok(Some(e)) => e,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Err(e) => e,
            other => panic!("{s} should fail: {other:?}"),
        }
    }

    fn eq(f: FilterField, v: &str) -> FilterExpr {
        Equals(f, v.to_string())
    }

    #[test]
    fn comparisons_and_spacing() {
        assert_eq!(ok("year = 1824"), eq(Year, "1824"));
        assert_eq!(
            ok("\"year\">=1800"),
            Range(Year, Bound::Included(1800.0), Bound::Unbounded)
        );
        assert_eq!(
            ok("year<1900"),
            Range(Year, Bound::Unbounded, Bound::Excluded(1900.0))
        );
        assert_eq!(
            ok("year > 1.5"),
            Range(Year, Bound::Excluded(1.5), Bound::Unbounded)
        );
        assert_eq!(
            ok("year <= -3"),
            Range(Year, Bound::Unbounded, Bound::Included(-3.0))
        );
        assert_eq!(ok("source != 'IFANS'"), Not(Box::new(eq(Source, "IFANS"))));
        assert_eq!(
            ok("year 1800 TO 1850"),
            Range(Year, Bound::Included(1800.0), Bound::Included(1850.0))
        );
        assert_eq!(
            ok("\"year\" 1 TO 5"),
            Range(Year, Bound::Included(1.0), Bound::Included(5.0))
        );
    }

    #[test]
    fn precedence_and_grouping() {
        let a = || eq(Kind, "a");
        let b = || eq(Kind, "b");
        let c = || eq(Kind, "c");
        assert_eq!(
            ok("kind = a OR kind = b AND kind = c"),
            Or(vec![a(), And(vec![b(), c()])])
        );
        assert_eq!(
            ok("(kind = a OR kind = b) AND kind = c"),
            And(vec![Or(vec![a(), b()]), c()])
        );
        assert_eq!(
            ok("NOT kind = a AND kind = b"),
            And(vec![Not(Box::new(a())), b()])
        );
        assert_eq!(ok("NOT NOT kind = a"), Not(Box::new(Not(Box::new(a())))));
    }

    #[test]
    fn lists_and_tests() {
        assert_eq!(
            ok("theme IN [a, 'b c',]"),
            Or(vec![eq(Theme, "a"), eq(Theme, "b c")])
        );
        assert_eq!(ok("theme IN []"), Or(vec![]));
        assert_eq!(
            ok("theme NOT IN [a]"),
            Not(Box::new(Or(vec![eq(Theme, "a")])))
        );
        assert_eq!(ok("themes EXISTS"), Exists(Theme));
        assert_eq!(ok("theme NOT EXISTS"), Not(Box::new(Exists(Theme))));
        assert_eq!(ok("theme IS EMPTY"), Empty(Theme));
        assert_eq!(ok("theme IS NOT EMPTY"), Not(Box::new(Empty(Theme))));
        assert_eq!(ok("source IS NULL"), Nothing);
        assert_eq!(ok("source IS NOT NULL"), Not(Box::new(Nothing)));
    }

    #[test]
    fn quoting() {
        assert_eq!(
            ok(r#""source"="Parish \"Records\"""#),
            eq(Source, "Parish \"Records\"")
        );
        assert_eq!(ok(r#"source = "a\\b""#), eq(Source, "a\\b"));
        assert_eq!(ok(r#"source = 'it\'s'"#), eq(Source, "it's"));
        assert_eq!(ok(r#"source = "a\nb""#), eq(Source, "a\\nb"));
        assert_eq!(ok(r#"source = "AND""#), eq(Source, "AND"));
        assert_eq!(ok(r#"source = """#), eq(Source, ""));
    }

    #[test]
    fn blank_is_no_filter() {
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(parse_json(&serde_json::json!([])), Ok(None));
        assert_eq!(parse_json(&serde_json::json!(["", [""]])), Ok(None));
    }

    #[test]
    fn array_forms() {
        let v = serde_json::json!(["year > 1", ["kind = a", "kind = b"], ["kind = c"]]);
        assert_eq!(
            parse_json(&v),
            Ok(Some(And(vec![
                Range(Year, Bound::Excluded(1.0), Bound::Unbounded),
                Or(vec![eq(Kind, "a"), eq(Kind, "b")]),
                eq(Kind, "c"),
            ])))
        );
        assert!(parse_json(&serde_json::json!([[["kind = a"]]])).is_err());
        assert!(parse_json(&serde_json::json!([5])).is_err());
        assert!(parse_json(&serde_json::json!(5)).is_err());
    }

    #[test]
    fn errors_say_where() {
        let e = err("title = x");
        assert!(e.starts_with("Attribute `title` is not filterable. Available filterable attributes are: `doc_id, kind, position, source, theme, themes, year`."), "{e}");
        assert!(e.ends_with("\n1:6 title = x"), "{e}");
        assert!(err("year > abc").contains("`abc` is not a number"));
        assert!(err("year").contains("Was expecting an operation"));
        assert!(err("year =").contains("Was expecting a value"));
        assert!(err("year = 1 year = 2").contains("Found unexpected characters at the end"));
        assert!(err("(year = 1").contains("closing delimiter: `)`"));
        assert!(err("source = \"abc").contains("closing delimiter: `\"`"));
        assert!(err("year = 1 and year = 2").contains("unexpected characters"));
        assert!(err("theme IN [a").contains("`]`"));
        assert!(err("source = a+b").contains("unexpected character `+`"));
        assert!(err("year ! 1").contains("`!=`"));
        assert!(err("year = TO").contains("Was expecting a value"));
        assert!(err("source CONTAINS x").contains("not supported"));
        assert!(err("year 1 TO").contains("Was expecting a value after `TO`"));
        assert!(err("AND").contains("Was expecting an attribute"));
    }

    #[test]
    fn no_input_panics() {
        const PIECES: &[&str] = &[
            "year", "theme", "x", " ", "=", "!", "!=", ">", ">=", "<", "(", ")", "[", "]", ",",
            "\"", "'", "\\", "AND", "OR", "NOT", "IN", "TO", "EXISTS", "IS", "NULL", "EMPTY", "1",
            "-2.5", "é", "日", "\n",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut s = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for _ in 0..(seed >> 60) + 1 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                s.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
                s.push(' ');
            }
            let _ = parse(&s);
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}year = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&deep).is_ok());
        let deeper = format!(
            "{}year = 1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(err(&deeper).contains("maximum depth"));
        let nots = format!("{}year = 1", "NOT ".repeat(10_000));
        assert!(err(&nots).contains("maximum depth"));
        let opens = "(".repeat(100_000);
        assert!(parse(&opens).is_err());
    }
}
