use super::embedded::{EmbeddedFile, SDK_FILES, TEMPLATE_FILES};
use super::*;
use std::path::Path;

/// Every file under `dir` (relative to the repository, `/`-separated), sorted.
fn files_on_disk(dir: &str) -> Vec<String> {
    fn walk(repo: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(repo, &path, out);
            } else {
                let rel = path.strip_prefix(repo).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(repo, &repo.join(dir), &mut out);
    out.sort();
    out
}

fn embedded_names(files: &[EmbeddedFile]) -> Vec<String> {
    let mut names: Vec<String> = files.iter().map(|(path, _)| path.to_string()).collect();
    names.sort();
    names
}

#[test]
fn every_sdk_source_file_is_embedded() {
    let mut on_disk = files_on_disk("sdk/src");
    on_disk.push("sdk/Cargo.toml".into());
    on_disk.sort();
    assert_eq!(
        embedded_names(SDK_FILES),
        on_disk,
        "src/scaffold/embedded.rs must list exactly the SDK's files"
    );
}

#[test]
fn every_template_file_is_embedded() {
    assert_eq!(
        embedded_names(TEMPLATE_FILES),
        files_on_disk("templates"),
        "src/scaffold/embedded.rs must list exactly the files under templates/"
    );
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmfaas-scaffold-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spec<'a>(name: &'a str, template: &str) -> NewFunction<'a> {
    NewFunction {
        name,
        template: find_template(template).unwrap(),
        route: None,
        force: false,
    }
}

/// Every file under `dir`, relative to it, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push((path.strip_prefix(root).unwrap().to_path_buf(), Vec::new()));
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(root).unwrap().to_path_buf(), bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_new_project_has_its_files_a_valid_config_and_a_copy_of_the_sdk() {
    let dir = scratch("new").join("shop");
    let generated = new_project(&dir, &spec("shop", "rust-http")).unwrap();
    assert!(generated.new_project);
    assert_eq!(generated.sdk, Some(SdkPlace::Vendor("sdk")));
    for file in [
        "wasmfaas.toml",
        ".gitignore",
        "README.md",
        "functions/shop/Cargo.toml",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    for (path, text) in SDK_FILES {
        assert_eq!(
            &std::fs::read_to_string(dir.join(path)).unwrap(),
            text,
            "{path}"
        );
    }
    let project = Project::load(&dir.join("wasmfaas.toml")).unwrap();
    assert_eq!(project.name, "shop");
    assert_eq!(project.functions["shop"].routes[0].text, "GET /shop");
    let manifest = std::fs::read_to_string(dir.join("functions/shop/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("wasmfaas-sdk = { path = \"../../sdk\" }"),
        "{manifest}"
    );
    assert!(manifest.contains("name = \"shop\""), "{manifest}");
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.contains(".wasmfaas/") && gitignore.contains("target/"));
}

#[test]
fn templates_without_rust_write_no_sdk() {
    let dir = scratch("nosdk").join("tiny");
    let generated = new_project(&dir, &spec("tiny", "wat")).unwrap();
    assert_eq!(generated.sdk, None);
    assert!(!dir.join("sdk").exists());
    assert!(dir.join("functions/tiny/main.wat").is_file());
}

#[test]
fn adding_appends_a_table_and_keeps_the_users_text_and_sdk() {
    let dir = scratch("add").join("p");
    new_project(&dir, &spec("first", "rust-http")).unwrap();
    let config = dir.join("wasmfaas.toml");
    let mut original = std::fs::read_to_string(&config).unwrap();
    original.push_str("# my note, kept as written   \n[functions.first.limits]\nfuel = 5\n");
    std::fs::write(&config, &original).unwrap();

    let generated = add_function(&config, &spec("second", "rust-http")).unwrap();
    assert!(!generated.new_project);
    assert_eq!(generated.sdk, Some(SdkPlace::Existing("sdk")));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with(&original), "{text}");
    assert!(
        text[original.len()..].starts_with("\n[functions.second]\n"),
        "{text}"
    );
    let project = Project::load(&config).unwrap();
    assert_eq!(project.functions["first"].limits.fuel, 5);
    assert_eq!(project.functions["second"].routes[0].text, "GET /second");
}

#[test]
fn a_config_with_windows_line_endings_gets_them_in_the_new_table_too() {
    let dir = scratch("crlf");
    let config = dir.join("wasmfaas.toml");
    std::fs::write(&config, "[project]\r\nname = \"w\"").unwrap();
    add_function(&config, &spec("fn1", "wat")).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with("[project]\r\nname = \"w\"\r\n\r\n[functions.fn1]\r\n"),
        "{text:?}"
    );
    assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
}

#[test]
fn a_rejected_config_is_restored_byte_for_byte_and_new_files_removed() {
    let dir = scratch("rejected");
    let config = dir.join("wasmfaas.toml");
    let original = "# keep me\n[project]\nname = \"r\"\n\n[functions.a]\nsource = \"a.wat\"\nroutes = [\"GET /taken\"]";
    std::fs::write(&config, original).unwrap();
    std::fs::write(dir.join("a.wat"), "(module)").unwrap();
    let before = snapshot(&dir);

    let mut conflicting = spec("b", "rust-http");
    conflicting.route = Some("GET /taken");
    let error = add_function(&config, &conflicting).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ScaffoldError::Rejected { .. }), "{message}");
    assert_eq!(error.exit_code(), 2);
    assert!(
        message.contains("conflicts with route `GET /taken`"),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(
        snapshot(&dir),
        before,
        "the folder must be exactly as it was"
    );
}

#[test]
fn refuses_a_duplicate_function_an_existing_folder_and_an_invalid_config() {
    let dir = scratch("refuse").join("p");
    new_project(&dir, &spec("one", "wat")).unwrap();
    let config = dir.join("wasmfaas.toml");
    let error = add_function(&config, &spec("one", "wat")).unwrap_err();
    assert!(
        matches!(error, ScaffoldError::FunctionExists { .. }),
        "{error}"
    );

    std::fs::create_dir_all(dir.join("functions/two")).unwrap();
    let error = add_function(&config, &spec("two", "wat")).unwrap_err();
    assert!(
        matches!(error, ScaffoldError::FolderExists { .. }),
        "{error}"
    );
    let mut forced = spec("two", "wat");
    forced.force = true;
    add_function(&config, &forced).unwrap();
    assert!(dir.join("functions/two/main.wat").is_file());

    std::fs::write(&config, "[project]\nname = 3\n").unwrap();
    let error = add_function(&config, &spec("three", "wat")).unwrap_err();
    assert!(matches!(error, ScaffoldError::Config(_)), "{error}");
    assert!(!dir.join("functions/three").exists());
}

#[test]
fn refuses_invalid_names_routes_and_templates_before_writing() {
    let dir = scratch("invalid");
    for name in ["Hello", "1st", "a b", "", "../x", "é"] {
        let error = new_project(&dir.join("p"), &spec(name, "wat")).unwrap_err();
        assert!(
            matches!(error, ScaffoldError::InvalidName { .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(FUNCTION_NAME_RULE));
    }
    let mut bad_route = spec("ok", "wat");
    bad_route.route = Some("GET hello");
    let error = new_project(&dir.join("p"), &bad_route).unwrap_err();
    assert!(
        matches!(error, ScaffoldError::InvalidRoute { .. }),
        "{error}"
    );
    let error = find_template("rust").unwrap_err().to_string();
    for template in TEMPLATES {
        assert!(error.contains(template.name), "{error}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing was written"
    );
}

#[test]
fn a_new_project_refuses_a_non_empty_folder_and_an_existing_project() {
    let dir = scratch("occupied");
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let error = new_project(&dir, &spec("p", "wat")).unwrap_err();
    assert!(
        matches!(error, ScaffoldError::FolderExists { .. }),
        "{error}"
    );
    let mut forced = spec("p", "wat");
    forced.force = true;
    new_project(&dir, &forced).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    let error = new_project(&dir, &forced).unwrap_err();
    assert!(
        matches!(error, ScaffoldError::AlreadyAProject { .. }),
        "{error}"
    );
}

#[test]
fn the_example_path_fills_parameters_with_their_names() {
    let path = |route: &str| example_path(&Route::parse(route).unwrap());
    assert_eq!(path("GET /hello"), "/hello");
    assert_eq!(path("/users/:id/files/*rest"), "/users/id/files/rest");
    assert_eq!(path("GET /"), "/");
}

#[test]
fn a_compiler_is_looked_up_on_path() {
    assert!(
        on_path("sh"),
        "sh is on PATH on every system the tests run on"
    );
    assert!(!on_path("wasmfaas-no-such-compiler"));
}
