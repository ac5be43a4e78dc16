//! A shell syntax tree flattened into one array by a single pre-order walk.
//!
//! The script checks look at every node several times (commands,
//! redirections, jobs, assignments, probes). Asking tree-sitter each time
//! costs: `Node::kind` is a string to compare, `Node::parent` walks down
//! from the root (O(width) per call on a script of thousands of top-level
//! statements), and `child_by_field_name` looks the field name up first.
//! One walk with a `TreeCursor` records, per node, its kind as a small enum
//! (from a table built once from the language's kind ids), the field it
//! fills in its parent, and the indices of its parent and next sibling;
//! the checks then iterate this array.

use std::sync::OnceLock;

use tree_sitter::Node;

/// Index of "no node" (the root's parent, the last child's next sibling).
const NONE: u32 = u32::MAX;

/// The node kinds the script checks tell apart; every other kind is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Other,
    /// The anonymous `&` token.
    Ampersand,
    AnsiCString,
    CaseItem,
    CaseStatement,
    Command,
    CommandName,
    CommandSubstitution,
    Comment,
    CompoundStatement,
    Concatenation,
    DoGroup,
    ElifClause,
    ElseClause,
    Expansion,
    ExtglobPattern,
    FileDescriptor,
    FileRedirect,
    ForStatement,
    FunctionDefinition,
    HeredocBody,
    HeredocEnd,
    HeredocRedirect,
    HeredocStart,
    HerestringRedirect,
    IfStatement,
    List,
    Number,
    Pipeline,
    Program,
    RawString,
    RedirectedStatement,
    SimpleExpansion,
    String,
    StringContent,
    Subshell,
    TestCommand,
    TranslatedString,
    VariableAssignment,
    VariableName,
    WhileStatement,
    Word,
}

impl Kind {
    /// The kind named `name`; `named` tells tree-sitter's named nodes from
    /// anonymous tokens of the same text.
    fn of(name: &str, named: bool) -> Kind {
        if !named {
            return if name == "&" {
                Kind::Ampersand
            } else {
                Kind::Other
            };
        }
        match name {
            "ansi_c_string" => Kind::AnsiCString,
            "case_item" => Kind::CaseItem,
            "case_statement" => Kind::CaseStatement,
            "command" => Kind::Command,
            "command_name" => Kind::CommandName,
            "command_substitution" => Kind::CommandSubstitution,
            "comment" => Kind::Comment,
            "compound_statement" => Kind::CompoundStatement,
            "concatenation" => Kind::Concatenation,
            "do_group" => Kind::DoGroup,
            "elif_clause" => Kind::ElifClause,
            "else_clause" => Kind::ElseClause,
            "expansion" => Kind::Expansion,
            "extglob_pattern" => Kind::ExtglobPattern,
            "file_descriptor" => Kind::FileDescriptor,
            "file_redirect" => Kind::FileRedirect,
            "for_statement" => Kind::ForStatement,
            "function_definition" => Kind::FunctionDefinition,
            "heredoc_body" => Kind::HeredocBody,
            "heredoc_end" => Kind::HeredocEnd,
            "heredoc_redirect" => Kind::HeredocRedirect,
            "heredoc_start" => Kind::HeredocStart,
            "herestring_redirect" => Kind::HerestringRedirect,
            "if_statement" => Kind::IfStatement,
            "list" => Kind::List,
            "number" => Kind::Number,
            "pipeline" => Kind::Pipeline,
            "program" => Kind::Program,
            "raw_string" => Kind::RawString,
            "redirected_statement" => Kind::RedirectedStatement,
            "simple_expansion" => Kind::SimpleExpansion,
            "string" => Kind::String,
            "string_content" => Kind::StringContent,
            "subshell" => Kind::Subshell,
            "test_command" => Kind::TestCommand,
            "translated_string" => Kind::TranslatedString,
            "variable_assignment" => Kind::VariableAssignment,
            "variable_name" => Kind::VariableName,
            "while_statement" => Kind::WhileStatement,
            "word" => Kind::Word,
            _ => Kind::Other,
        }
    }

    /// Nodes whose children are statements, where `&` ends a background
    /// job (elsewhere it is the bitwise and of `$(( a & b ))`).
    pub fn is_statement_list(self) -> bool {
        matches!(
            self,
            Kind::Program
                | Kind::CompoundStatement
                | Kind::DoGroup
                | Kind::Subshell
                | Kind::IfStatement
                | Kind::ElifClause
                | Kind::ElseClause
                | Kind::CaseItem
                | Kind::WhileStatement
                | Kind::FunctionDefinition
                | Kind::CommandSubstitution
                | Kind::List
        )
    }
}

/// The fields of a node in its parent that the checks ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Other,
    Argument,
    Body,
    Name,
    Value,
    Variable,
}

/// [`Kind`] and [`Field`] by tree-sitter-bash's ids, looked up once.
struct Ids {
    kinds: Vec<Kind>,
    fields: Vec<Field>,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_bash::LANGUAGE.into();
        let kinds = (0..language.node_kind_count())
            .map(|id| {
                let id = id as u16;
                let name = language.node_kind_for_id(id).unwrap_or("");
                Kind::of(name, language.node_kind_is_named(id))
            })
            .collect();
        // Field ids start at 1; 0 is "no field".
        let fields = (0..=language.field_count())
            .map(|id| match language.field_name_for_id(id as u16) {
                Some("argument") => Field::Argument,
                Some("body") => Field::Body,
                Some("name") => Field::Name,
                Some("value") => Field::Value,
                Some("variable") => Field::Variable,
                _ => Field::Other,
            })
            .collect();
        Ids { kinds, fields }
    })
}

/// The [`Kind`] of `node`.
pub fn kind_of(node: Node) -> Kind {
    ids()
        .kinds
        .get(usize::from(node.kind_id()))
        .copied()
        .unwrap_or(Kind::Other)
}

/// Where the nodes of each piece after `first` start in the array of
/// the whole, and at last the length of the whole: a piece's root is left
/// out, its top-level nodes become children of the first root.
fn piece_starts(first: Node, others: &[Node]) -> Vec<usize> {
    let mut next = first.descendant_count();
    let mut starts = Vec::with_capacity(others.len() + 1);
    starts.push(next);
    for root in others {
        next += root.descendant_count() - 1;
        starts.push(next);
    }
    starts
}

/// One node of a [`Flat`] tree.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'t> {
    pub node: Node<'t>,
    pub kind: Kind,
    /// The field the node fills in its parent.
    pub field: Field,
    parent: u32,
    next_sibling: u32,
}

/// Every node of a tree in document (pre-)order.
#[derive(Default)]
pub struct Flat<'t> {
    entries: Vec<Entry<'t>>,
}

impl<'t> Flat<'t> {
    /// Walks the tree below `root` once.
    pub fn new(root: Node<'t>) -> Self {
        Self::of_roots(&[root])
    }

    /// The trees of a body parsed in pieces as one: the first root stands
    /// for the whole body, and the top-level statements of the other
    /// pieces follow its own as its children. The further pieces are walked
    /// beside the first, on the thread pool (a body is only parsed in
    /// pieces when it is long enough for that to pay), into the indices
    /// they will have.
    pub fn of_roots(roots: &[Node<'t>]) -> Self {
        let Some((&first, others)) = roots.split_first() else {
            return Flat::default();
        };
        let starts = piece_starts(first, others);
        let total = starts[others.len()];
        let walk_first = || {
            let mut flat = Flat {
                entries: Vec::with_capacity(total),
            };
            flat.push_siblings(&mut first.walk(), NONE, NONE);
            flat
        };
        if others.is_empty() {
            return walk_first();
        }
        let walk_others = || {
            others
                .iter()
                .zip(&starts)
                .map(|(&root, &start)| Flat::piece(root, start))
                .collect::<Vec<_>>()
        };
        let (mut flat, pieces) = rayon::join(walk_first, walk_others);
        for piece in pieces {
            flat.append_piece(piece);
        }
        flat
    }

    /// The nodes below the root of a further piece, indexed as if they
    /// began at `start` of the whole array, with the top-level ones as
    /// children of the entry 0.
    fn piece(root: Node<'t>, start: usize) -> Vec<Entry<'t>> {
        let mut piece = Flat {
            entries: Vec::with_capacity(root.descendant_count() - 1),
        };
        let mut cursor = root.walk();
        if cursor.goto_first_child() {
            piece.push_siblings_from(start as u32, &mut cursor, 0, NONE);
        }
        piece.entries
    }

    /// Appends the entries of [`piece`](Self::piece), which start at the
    /// end of this array, after the top-level nodes so far.
    fn append_piece(&mut self, piece: Vec<Entry<'t>>) {
        let Some(first) = piece.first() else {
            return;
        };
        debug_assert_eq!(first.parent, 0, "a piece starts with a top-level node");
        let last_top_level = (1..self.entries.len())
            .rev()
            .find(|&index| self.entries[index].parent == 0);
        if let Some(last) = last_top_level {
            self.entries[last].next_sibling = self.entries.len() as u32;
        }
        self.entries.extend(piece);
    }

    /// Appends, in pre-order, the cursor's node and its next siblings with
    /// everything below them; `parent` is their parent's index and
    /// `previous_sibling` the index of the sibling before the first.
    fn push_siblings(
        &mut self,
        cursor: &mut tree_sitter::TreeCursor<'t>,
        parent: u32,
        previous_sibling: u32,
    ) {
        self.push_siblings_from(0, cursor, parent, previous_sibling);
    }

    /// [`push_siblings`](Self::push_siblings) into entries that begin at
    /// index `base` of the whole array.
    fn push_siblings_from(
        &mut self,
        base: u32,
        cursor: &mut tree_sitter::TreeCursor<'t>,
        parent: u32,
        mut previous_sibling: u32,
    ) {
        let ids = ids();
        // Indices of the ancestors of the cursor's node below `parent`,
        // innermost last.
        let mut ancestors: Vec<u32> = Vec::new();
        loop {
            let node = cursor.node();
            let index = base + self.entries.len() as u32;
            self.entries.push(Entry {
                node,
                kind: kind_of(node),
                field: cursor
                    .field_id()
                    .and_then(|id| ids.fields.get(usize::from(id.get())).copied())
                    .unwrap_or(Field::Other),
                parent: ancestors.last().copied().unwrap_or(parent),
                next_sibling: NONE,
            });
            if previous_sibling != NONE {
                self.entries[(previous_sibling - base) as usize].next_sibling = index;
            }
            if cursor.goto_first_child() {
                ancestors.push(index);
                previous_sibling = NONE;
                continue;
            }
            previous_sibling = index;
            while !cursor.goto_next_sibling() {
                let Some(ancestor) = ancestors.pop() else {
                    return;
                };
                cursor.goto_parent();
                previous_sibling = ancestor;
            }
        }
    }

    pub fn entries(&self) -> &[Entry<'t>] {
        &self.entries
    }

    pub fn get(&self, index: usize) -> &Entry<'t> {
        &self.entries[index]
    }

    /// The index of `node`'s parent (`None` for the root).
    pub fn parent(&self, index: usize) -> Option<usize> {
        let parent = self.entries[index].parent;
        (parent != NONE).then_some(parent as usize)
    }

    /// The indices of `index`'s children, in order.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let first = index + 1;
        let mut next = match self.entries.get(first) {
            Some(child) if child.parent as usize == index => first as u32,
            _ => NONE,
        };
        std::iter::from_fn(move || {
            if next == NONE {
                return None;
            }
            let current = next as usize;
            next = self.entries[current].next_sibling;
            Some(current)
        })
    }

    /// The children of `index` that fill `field`.
    pub fn field_children(&self, index: usize, field: Field) -> impl Iterator<Item = usize> + '_ {
        self.children(index)
            .filter(move |&child| self.entries[child].field == field)
    }

    /// The index of `node` in this tree. Pre-order keeps start bytes in
    /// order almost everywhere, so a binary search finds it; where error
    /// recovery or a heredoc breaks the order, a scan does.
    pub fn index_of(&self, node: Node<'t>) -> Option<usize> {
        let start = node.start_byte();
        let first = self
            .entries
            .partition_point(|entry| entry.node.start_byte() < start);
        self.entries[first..]
            .iter()
            .take_while(|entry| entry.node.start_byte() == start)
            .position(|entry| entry.node == node)
            .map(|at| first + at)
            .or_else(|| self.entries.iter().position(|entry| entry.node == node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_bash::LANGUAGE.into())
            .unwrap();
        parser.parse(text, None).unwrap()
    }

    /// The flat array holds the nodes, parents, children and fields that
    /// tree-sitter's own API gives, for a script with most constructs.
    #[test]
    fn matches_the_tree() {
        let text = "A=1\nfor i in a b; do echo \"$i\" & done\ncat <<EOF | grep x > /o\nbody $A\nEOF\nif [ -f x ]; then (sleep 1 &); fi\ncase $A in 1) :;; esac\nf() { x=$(( 1 & 2 )); }\n";
        let tree = parse(text);
        let flat = Flat::new(tree.root_node());
        let mut expected = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            expected.push(node);
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        let nodes: Vec<Node> = flat.entries().iter().map(|e| e.node).collect();
        assert_eq!(nodes, expected);
        for (index, entry) in flat.entries().iter().enumerate() {
            let node = entry.node;
            assert_eq!(flat.parent(index).map(|p| flat.get(p).node), node.parent());
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            let flat_children: Vec<Node> = flat.children(index).map(|c| flat.get(c).node).collect();
            assert_eq!(flat_children, children);
            assert_eq!(flat.index_of(node), Some(index));
            let kind = Kind::of(node.kind(), node.is_named());
            assert_eq!(entry.kind, kind, "{}", node.kind());
            for (field, name) in [
                (Field::Argument, "argument"),
                (Field::Body, "body"),
                (Field::Name, "name"),
                (Field::Value, "value"),
                (Field::Variable, "variable"),
            ] {
                let mut cursor = node.walk();
                let by_name: Vec<Node> = node.children_by_field_name(name, &mut cursor).collect();
                let by_flat: Vec<Node> = flat
                    .field_children(index, field)
                    .map(|c| flat.get(c).node)
                    .collect();
                assert_eq!(by_flat, by_name, "{name} of {}", node.kind());
            }
        }
        let kinds: Vec<Kind> = flat.entries().iter().map(|e| e.kind).collect();
        for kind in [
            Kind::Ampersand,
            Kind::ForStatement,
            Kind::HeredocBody,
            Kind::Pipeline,
            Kind::CaseStatement,
            Kind::FunctionDefinition,
            Kind::Subshell,
        ] {
            assert!(kinds.contains(&kind), "{kind:?}");
        }
    }
}
