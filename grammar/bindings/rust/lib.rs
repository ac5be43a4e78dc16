//! Kickstart grammar for [tree-sitter](https://tree-sitter.github.io/).
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser
//!     .set_language(&tree_sitter_kickstart::LANGUAGE.into())
//!     .expect("load kickstart grammar");
//! let tree = parser.parse("lang en_US.UTF-8\n", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_kickstart() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for kickstart.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_kickstart) };

/// The content of the [`node-types.json`] file for this grammar.
///
/// [`node-types.json`]: https://tree-sitter.github.io/tree-sitter/using-parsers/6-static-node-types
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// Syntax highlighting query.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// Language injection query (bash / python in script sections).
pub const INJECTIONS_QUERY: &str = include_str!("../../queries/injections.scm");

/// Folding query (sections).
pub const FOLDS_QUERY: &str = include_str!("../../queries/folds.scm");

#[cfg(test)]
mod tests {
    use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

    fn parser() -> Parser {
        let mut parser = Parser::new();
        parser
            .set_language(&super::LANGUAGE.into())
            .expect("load kickstart grammar");
        parser
    }

    fn parse(source: &[u8]) -> Tree {
        parser().parse(source, None).expect("parse")
    }

    fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
        let mut cursor = node.walk();
        node.named_children(&mut cursor).collect()
    }

    fn kinds(node: Node<'_>) -> Vec<String> {
        named_children(node)
            .iter()
            .map(|n| n.kind().to_string())
            .collect()
    }

    #[test]
    fn loads_the_grammar() {
        let _ = parser();
    }

    #[test]
    fn queries_compile() {
        let language = super::LANGUAGE.into();
        for (name, source) in [
            ("highlights", super::HIGHLIGHTS_QUERY),
            ("injections", super::INJECTIONS_QUERY),
            ("folds", super::FOLDS_QUERY),
        ] {
            let query = Query::new(&language, source)
                .unwrap_or_else(|e| panic!("{name}.scm does not compile: {e}"));
            assert!(query.pattern_count() > 0, "{name}.scm has no patterns");
        }
    }

    #[test]
    fn node_types_lists_the_contract_nodes() {
        let language: tree_sitter::Language = super::LANGUAGE.into();
        for kind in [
            "source_file",
            "comment",
            "command",
            "command_name",
            "option",
            "option_name",
            "word",
            "string",
            "include",
            "ksappend",
            "packages_section",
            "packages_body",
            "package",
            "package_name",
            "excluded_package",
            "group",
            "group_name",
            "environment",
            "excluded_group",
            "module",
            "module_name",
            "module_stream",
            "module_profile",
            "script_section",
            "script_body",
            "addon_section",
            "anaconda_section",
            "certificate_section",
            "unknown_section",
            "raw_body",
            "section_header",
            "section_name",
            "section_end",
        ] {
            assert!(
                language.id_for_node_kind(kind, true) != 0,
                "missing node kind {kind}"
            );
            assert!(
                super::NODE_TYPES.contains(&format!("\"type\": \"{kind}\"")),
                "{kind} not in node-types.json"
            );
        }
        for field in [
            "name", "value", "path", "header", "body", "end", "stream", "profile",
        ] {
            assert!(
                language.field_id_for_name(field).is_some(),
                "missing field {field}"
            );
        }
    }

    #[test]
    fn invalid_utf8_does_not_stop_parsing() {
        let source: &[u8] = b"# bad \xff byte\n\
            lang en\xfe_US\n\
            %packages\n\
            vim\xff\n\
            @co\xc3re\n\
            %end\n\
            %post\n\
            echo \xff\xfe\n\
            %end\n\
            keyboard us\n";
        let tree = parse(source);
        let root = tree.root_node();
        assert!(!root.has_error(), "{}", root.to_sexp());
        assert_eq!(
            kinds(root),
            [
                "comment",
                "command",
                "packages_section",
                "script_section",
                "command"
            ]
        );
        let last = root.named_child(4).unwrap();
        let name = last.child_by_field_name("name").unwrap();
        assert_eq!(name.utf8_text(source).unwrap(), "keyboard");
    }

    #[test]
    fn byte_order_mark_is_tolerated() {
        let source = "\u{feff}lang en_US\n#c\nkeyboard us\n";
        let tree = parse(source.as_bytes());
        let root = tree.root_node();
        assert!(!root.has_error(), "{}", root.to_sexp());
        let named = named_children(root);
        // Depending on the runtime the BOM is either skipped by the lexer or
        // shows up as a `bom` node; it never becomes part of the command.
        let commands: Vec<_> = named.iter().filter(|n| n.kind() == "command").collect();
        assert_eq!(commands.len(), 2);
        let name = commands[0].child_by_field_name("name").unwrap();
        assert_eq!(name.utf8_text(source.as_bytes()).unwrap(), "lang");
    }

    #[test]
    fn unbalanced_quote_is_limited_to_its_line() {
        let source = b"rootpw \"abc\nlang en_US\n%post\necho\n%end\n";
        let tree = parse(source);
        let root = tree.root_node();
        assert!(root.has_error());
        for child in named_children(root) {
            if child.is_error() || child.has_error() {
                assert_eq!(child.start_position().row, 0);
                assert_eq!(child.end_position().row, 0);
            }
        }
        let kinds = kinds(root);
        assert_eq!(&kinds[kinds.len() - 2..], ["command", "script_section"]);
    }

    #[test]
    fn incremental_reparse_of_a_script_body() {
        let mut parser = parser();
        let mut source = b"%post\necho a\n%end\nlang en\n".to_vec();
        let mut tree = parser.parse(&source, None).unwrap();
        // Turn "echo a" into "%end" plus a new line: the section now ends earlier.
        let start = 6;
        let old_end = 12;
        let replacement = b"%end\nfoo";
        source.splice(start..old_end, replacement.iter().copied());
        tree.edit(&tree_sitter::InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: start + replacement.len(),
            start_position: tree_sitter::Point::new(1, 0),
            old_end_position: tree_sitter::Point::new(1, 6),
            new_end_position: tree_sitter::Point::new(2, 3),
        });
        let new_tree = parser.parse(&source, Some(&tree)).unwrap();
        let fresh = parser.parse(&source, None).unwrap();
        assert_eq!(new_tree.root_node().to_sexp(), fresh.root_node().to_sexp());
        assert_eq!(
            kinds(new_tree.root_node()),
            ["script_section", "command", "section_end", "command"]
        );
    }

    fn injection_language(source: &str) -> Vec<String> {
        let language = super::LANGUAGE.into();
        let query = Query::new(&language, super::INJECTIONS_QUERY).unwrap();
        let tree = parse(source.as_bytes());
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(&query, tree.root_node(), source.as_bytes());
        let mut languages = Vec::new();
        while let Some(m) = matches.next() {
            for setting in query.property_settings(m.pattern_index) {
                if &*setting.key == "injection.language" {
                    languages.push(setting.value.as_deref().unwrap_or("").to_string());
                }
            }
        }
        languages
    }

    #[test]
    fn script_injections() {
        assert_eq!(injection_language("%post\necho hi\n%end\n"), ["bash"]);
        assert_eq!(
            injection_language("%post --interpreter=/usr/bin/python3\nprint(1)\n%end\n"),
            ["python"]
        );
        assert_eq!(
            injection_language(
                "%pre --log=/tmp/l --interpreter /usr/libexec/platform-python\nprint(1)\n%end\n"
            ),
            ["python"]
        );
        assert_eq!(
            injection_language("%post --interpreter=/bin/sh\necho\n%end\n"),
            ["bash"]
        );
        // no body, nothing to inject; other raw sections are not injected
        assert!(injection_language("%post\n%end\n%anaconda\nx\n%end\n").is_empty());
    }
}
