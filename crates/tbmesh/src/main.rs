fn main() -> std::process::ExitCode {
    tbmesh::main()
}
