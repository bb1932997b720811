fn main() {
    tidemark_runtime::run_cli(migration::Migrator);
}
