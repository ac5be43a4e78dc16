#[path = "repo_common/mod.rs"]
mod repo_common;
#[test]
fn gen() {
    let Some(dir) = std::env::var_os("BENCHTREE") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(dir.join("Packages")).unwrap();
    for i in 0..2000 {
        let (name, rpm) = repo_common::bench_package(i, 0, 1);
        let p = dir.join("Packages").join(name);
        std::fs::write(&p, rpm).unwrap();
        repo_common::set_mtime(&p, 1_700_000_000);
    }
}
