#[global_allocator]
static ALLOCATOR: kslint::allocator::Allocator = kslint::allocator::Allocator {};

fn main() -> std::process::ExitCode {
    kslint::allocator::use_for_tree_sitter();
    kslint::cli::main()
}
