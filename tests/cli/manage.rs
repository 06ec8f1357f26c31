use crate::helpers::{Env, SUBSCRIPTIONS};

#[test]
fn datasets_are_shown_and_removed_by_id_prefix_or_name() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let first = env.import_json(&path, "subscriptions", &[]);
    env.import_json(&path, "subscriptions", &[]);
    let id = first["dataset_id"].as_str().unwrap();

    let shown = env.run(&["dataset", "show", &id[..13], "--format", "json"]).ok().json();
    assert_eq!(shown["versions"].as_array().unwrap().len(), 2);
    assert_eq!(shown["versions"][1]["rows"], 3);

    env.run(&["dataset", "rm", "subs", "--version", "1"]).ok();
    let shown = env.run(&["dataset", "show", id, "--format", "json"]).ok().json();
    assert_eq!(shown["versions"][0]["version"], 2);
    env.run(&["dataset", "rm", id, "--version", "7"]).fails_with(1, "has no version 7");
    env.run(&["dataset", "rm", id]).ok();
    env.run(&["dataset", "show", id]).fails_with(1, "no dataset");
    assert!(env.stored_files().iter().all(|f| !f.starts_with("tables/") && !f.starts_with("blobs/")));
}

#[test]
fn workspaces_keep_their_datasets_apart() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    env.run(&["workspace", "create", "Client A"]).ok();
    env.run(&["--workspace", "Client A", "import", path.to_str().unwrap(), "--kind", "subscriptions"]).ok();
    assert_eq!(env.run(&["datasets", "--format", "json"]).ok().json().as_array().unwrap().len(), 0);
    let in_a = env.run(&["-w", "Client A", "datasets", "--format", "json"]).ok().json();
    assert_eq!(in_a.as_array().unwrap().len(), 1);

    env.run(&["workspace", "rename", "Client A", "Client B"]).ok();
    env.run(&["-w", "Client A", "datasets"]).fails_with(1, "no workspace 'Client A'");
    env.run(&["workspace", "rm", "Client B"]).fails_with(1, "--yes");
    env.run(&["workspace", "rm", "Client B", "--yes"]).ok();
    let names: Vec<String> = env
        .run(&["workspace", "list", "--format", "json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["Default"]);
}

#[test]
fn versions_are_pinned_to_reporting_periods() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    env.run(&["period", "create", "2025-Q1", "--from", "2025-01-01", "--to", "2025-03-31"]).ok();
    env.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions", "--period", "2025-Q1"]).ok();
    env.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions", "--period", "C9"])
        .fails_with(1, "no period 'C9'");
    env.run(&["period", "create", "C2"]).ok();
    env.run(&["period", "pin", "subs", "C2"]).ok();
    let shown = env.run(&["dataset", "show", "subs", "--format", "json"]).ok().json();
    assert_eq!(shown["versions"][0]["period"], "C2");
    let periods = env.run(&["period", "list", "--format", "json"]).ok().json();
    assert_eq!(periods.as_array().unwrap().len(), 2);
}
