fn main() -> std::process::ExitCode {
    kslint::cli::main()
}
