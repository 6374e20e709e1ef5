fn main() -> std::process::ExitCode {
    wasmfaas::cli::main()
}
