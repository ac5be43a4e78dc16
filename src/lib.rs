//! kslint: a linter, language server and ISO mastering engine for kickstart-driven
//! Red Hat–family install media.
//!
//! Data flows one way: text → tree ([`syntax`]) → model ([`syntax::model`]) →
//! checks ([`rules`]) → [`diagnostic::Diagnostic`]s → the CLI ([`cli`]) or the
//! language server. Nothing below the CLI knows about terminals or LSP types.

pub mod analysis;
pub mod assemble;
pub mod boot;
pub mod build;
pub mod catalog;
pub mod cleanup;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod fix;
pub mod ide;
pub mod includes;
pub mod iso;
pub mod lsp;
pub mod media;
pub mod memo;
pub mod repo;
pub mod rules;
pub mod scripts;
pub mod source;
pub mod suppress;
pub mod syntax;
