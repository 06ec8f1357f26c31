//! The command list end to end on a real store: every call goes through `App::call` with
//! JSON arguments, as the Tauri shell and `revlens serve` make it.
//!
//! The expected numbers are computed by hand from the small files below (see each test).

#![allow(clippy::unwrap_used)] // test data: a panic is the failure report

use std::path::Path;
use std::sync::{Arc, Mutex};

use revlens_commands::{typescript_bindings, ApiError, App, AppEvent, ErrorCode};
use serde_json::{json, Value};

/// Subscriptions, by hand (active on day D when start ≤ D < end; MRR at month end):
///
/// | cust | plan | Jan | Feb | Mar |
/// |---|---|---|---|---|
/// | A | Pro | 100 | 100 | 100 |
/// | B | Starter | 50 | 50 | – (ends Mar 1) |
/// | C | Pro | – | 200 | 200 |
/// | D | Starter | – | – | 30 |
///
/// MRR: Jan 150, Feb 350, Mar 330. March: new D 30, churn B 50; 3 active customers.
/// The amount column is named "Betrag", which no suggestion maps: the UI maps it by hand.
const SUBSCRIPTIONS: &str = "\
Customer,Betrag,Start,End,Plan
A,100.00,2025-01-01,,Pro
B,50.00,2025-01-15,2025-03-01,Starter
C,200.00,2025-02-01,,Pro
D,30.00,2025-03-10,,Starter
";

const CUSTOMERS: &str = "\
customer_id,segment,country
A,SMB,DE
B,SMB,FR
C,Enterprise,DE
D,SMB,DE
";

struct Fixture {
    _dir: tempfile::TempDir,
    home: std::path::PathBuf,
    app: App,
    events: Arc<Mutex<Vec<AppEvent>>>,
    workspace: String,
}

fn open(home: &Path) -> (App, Arc<Mutex<Vec<AppEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let app = App::open(home, Arc::new(move |event| sink.lock().unwrap().push(event))).unwrap();
    (app, events)
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (app, events) = open(&home);
    let workspace = app.call("create_workspace", json!({"name": "Acme"})).unwrap()["id"].as_str().unwrap().to_string();
    Fixture { home, app, events, workspace, _dir: dir }
}

impl Fixture {
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.parent().unwrap().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn call(&self, name: &str, args: Value) -> Value {
        self.app.call(name, args).unwrap_or_else(|e| panic!("{name}: {e:?}"))
    }

    fn import_subscriptions(&self) -> Value {
        let path = self.file("subscriptions.csv", SUBSCRIPTIONS);
        self.call(
            "import_file",
            json!({"workspace": self.workspace, "path": path, "kind": "subscriptions",
                   "mapping": {"amount": "Betrag"}, "job": "job-1"}),
        )
    }

    fn dashboard(&self, filters: Value) -> Value {
        self.call("revenue_dashboard", json!({"workspace": self.workspace, "filters": filters}))
    }
}

fn tile(dashboard: &Value, id: &str) -> (Value, Value, Value) {
    let tile = dashboard["tiles"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap();
    (tile["value"].clone(), tile["previous"].clone(), tile["change"].clone())
}

fn close(value: &Value, expected: f64) -> bool {
    (value.as_f64().unwrap() - expected).abs() < 1e-9
}

#[test]
fn the_typescript_bindings_in_the_ui_are_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let generated = typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p revlens-commands --test commands` and commit it",
        path.display()
    );
    for command in revlens_commands::COMMANDS {
        assert!(generated.contains(&format!("  {command}: {{ args: ")), "{command} is missing from the Commands map");
    }
}

#[test]
fn a_mapped_import_gives_the_hand_computed_tiles_charts_and_drill_down() {
    let f = fixture();
    let empty = f.dashboard(json!({}));
    assert!(empty["empty_reason"].as_str().unwrap().contains("import a file"), "{empty}");

    // The preview suggests everything but the amount; the correction maps it.
    let path = f.file("subscriptions.csv", SUBSCRIPTIONS);
    let preview = f.call("preview_file", json!({"workspace": f.workspace, "path": path, "kind": "subscriptions"}));
    assert_eq!(preview["mapping"]["customer_id"], "Customer");
    assert_eq!(preview["mapping"]["amount"], Value::Null);
    assert_eq!(preview["sample_rows"].as_array().unwrap().len(), 4);
    let corrected = f.call(
        "preview_file",
        json!({"workspace": f.workspace, "path": path, "kind": "subscriptions", "mapping": {"amount": "Betrag"}}),
    );
    assert_eq!(corrected["mapping"]["amount"], "Betrag");

    let imported = f.import_subscriptions();
    assert_eq!((imported["rows"].as_u64(), imported["version"].as_u64()), (Some(4), Some(1)));
    let events = f.events.lock().unwrap().clone();
    assert!(events.iter().any(|e| matches!(e, AppEvent::Progress { job, .. } if job == "job-1")), "{events:?}");
    assert_eq!(events.last(), Some(&AppEvent::Finished { job: "job-1".into() }));

    let dashboard = f.dashboard(json!({}));
    assert_eq!(dashboard["as_of"], "2025-03");
    assert_eq!(dashboard["months"], json!(["2025-01", "2025-02", "2025-03"]));
    let (mrr, previous, change) = tile(&dashboard, "mrr");
    assert!(close(&mrr, 330.0) && close(&previous, 350.0) && close(&change, -20.0 / 350.0));
    assert!(close(&tile(&dashboard, "arr").0, 3960.0));
    assert!(close(&tile(&dashboard, "active_customers").0, 3.0));
    assert!(close(&tile(&dashboard, "arpa").0, 110.0)); // 330 ÷ 3
    assert!(close(&tile(&dashboard, "arpa").1, 116.67)); // 350 ÷ 3, to the cent
    assert!(close(&tile(&dashboard, "logo_churn").0, 1.0 / 3.0)); // B of 3 active in Feb
    assert!(close(&tile(&dashboard, "quick_ratio").0, 0.6)); // new 30 ÷ churn 50
    assert!(close(&tile(&dashboard, "new_mrr").0, 30.0) && close(&tile(&dashboard, "new_mrr").1, 200.0));
    assert!(close(&tile(&dashboard, "new_logos").0, 1.0));
    assert!(close(&tile(&dashboard, "arpa_new").0, 30.0));
    assert_eq!(tile(&dashboard, "nrr").0, Value::Null, "no customer 12 months back");

    let charts = dashboard["charts"].as_array().unwrap();
    let mrr_line = &charts.iter().find(|c| c["id"] == "mrr").unwrap()["series"][0]["values"];
    assert_eq!(mrr_line, &json!([150.0, 350.0, 330.0]));
    let movements = charts.iter().find(|c| c["id"] == "movements").unwrap();
    let series =
        |key: &str| movements["series"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()["values"].clone();
    assert_eq!(series("new"), json!([150.0, 200.0, 30.0]));
    assert_eq!(series("churn"), json!([0.0, 0.0, -50.0]));
    assert!(!movements.to_string().contains("-0.0"), "no loss of −0 to show as -0.00: {movements}");
    let composition = charts.iter().find(|c| c["id"] == "arr_composition").unwrap();
    assert_eq!(composition["series"][0]["values"], json!([1800.0, 2400.0, 360.0]));
    let top = &dashboard["top_customers"]["rows"];
    assert_eq!(top[0][1], "C");
    assert_eq!(top.as_array().unwrap().len(), 3);

    let churned = f.call(
        "drill_down",
        json!({"workspace": f.workspace, "chart": "movements", "month": "2025-03", "series": "churn"}),
    );
    assert_eq!(churned["rows"], json!([["B", "churn", 50.0, 0.0, -50.0]]));
    let active = f.call("drill_down", json!({"workspace": f.workspace, "chart": "mrr", "month": "2025-02"}));
    let ids: Vec<_> = active["rows"].as_array().unwrap().iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, [json!("C"), json!("A"), json!("B")]);

    // A range ends the tiles earlier.
    let february = f.dashboard(json!({"to": "2025-02"}));
    assert!(close(&tile(&february, "mrr").0, 350.0));
    assert_eq!(february["charts"][0]["x_labels"], json!(["2025-01", "2025-02"]));
}

#[test]
fn filters_by_segment_country_and_plan() {
    let f = fixture();
    f.import_subscriptions();
    let customers = f.file("customers.csv", CUSTOMERS);
    f.call("import_file", json!({"workspace": f.workspace, "path": customers, "kind": "customers", "job": "j2"}));
    let all = f.dashboard(json!({}));
    assert_eq!(
        all["filter_options"],
        json!({"segment": ["Enterprise", "SMB"], "plan": ["Pro", "Starter"], "country": ["DE", "FR"]})
    );
    // SMB is A, B and D: Feb 150, Mar 130.
    let smb = f.dashboard(json!({"segment": "SMB"}));
    assert!(close(&tile(&smb, "mrr").0, 130.0) && close(&tile(&smb, "mrr").1, 150.0));
    // SMB in DE is A and D: Mar 130, Feb 100.
    let smb_de = f.dashboard(json!({"segment": "SMB", "country": "DE"}));
    assert!(close(&tile(&smb_de, "mrr").0, 130.0) && close(&tile(&smb_de, "mrr").1, 100.0));
    // Plan Pro (the subscriptions' own column) is A and C: 300.
    assert!(close(&tile(&f.dashboard(json!({"plan": "Pro"})), "mrr").0, 300.0));
    let nobody = f.app.call("revenue_dashboard", json!({"workspace": f.workspace, "filters": {"country": "JP"}}));
    assert_eq!(nobody.unwrap_err().code, ErrorCode::Metrics);

    // Churn: no churn column, so every verdict is computed; B churned (last paid Feb).
    let churn = f.call("churn", json!({"workspace": f.workspace, "source": "computed"}));
    assert_eq!(churn["counts"]["computed"], 4);
    assert_eq!(churn["counts"]["churned_computed"], 1);
    let b = churn["table"]["rows"].as_array().unwrap().iter().find(|r| r[0] == "B").unwrap().clone();
    assert_eq!(b[1], true);
    assert!(b[3].as_str().unwrap().contains("last paid month 2025-02"), "{b}");
    let page = f.call("churn", json!({"workspace": f.workspace, "offset": 1, "limit": 2}));
    assert_eq!((page["table"]["rows"].as_array().unwrap().len(), page["table"]["total_rows"].as_u64()), (2, Some(4)));

    // Cohorts by first paid month: Jan {A, B}, Feb {C}, Mar {D}; Jan's logo retention 1, 1, ½.
    let cohorts = f.call("cohorts", json!({"workspace": f.workspace, "basis": "logo", "by": "first_paid"}));
    assert_eq!(cohorts["kind"], "heatmap");
    assert_eq!(cohorts["y_labels"], json!(["2025-01", "2025-02", "2025-03"]));
    assert_eq!(cohorts["series"][0]["values"], json!([1.0, 1.0, 0.5]));
}

#[test]
fn invalid_rows_come_back_listed_and_can_be_skipped() {
    let f = fixture();
    let path = f.file(
        "bad.csv",
        "customer_id,amount,start_date\nA,10.00,2025-01-01\nB,ten,2025-01-02\nC,5.00,2025-13-45\nD,7.00,2025-02-01\n",
    );
    let args = json!({"workspace": f.workspace, "path": path, "kind": "subscriptions", "job": "bad"});
    let error: ApiError = f.app.call("import_file", args.clone()).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRows);
    let details = error.details.unwrap();
    assert_eq!((details.rows, details.total), (2, 2));
    assert_eq!(
        (details.errors[0].line, details.errors[0].column.as_str(), details.errors[0].value.as_str()),
        (3, "amount", "ten")
    );
    assert_eq!((details.errors[1].line, details.errors[1].column.as_str()), (4, "start_date"));
    assert!(
        f.call("list_datasets", json!({"workspace": f.workspace})).as_array().unwrap().is_empty(),
        "nothing imported"
    );
    assert!(matches!(f.events.lock().unwrap().last(), Some(AppEvent::Failed { .. })));

    let mut skip = args;
    skip["skip_invalid"] = json!(true);
    let imported = f.call("import_file", skip);
    assert_eq!((imported["rows"].as_u64(), imported["skipped"].as_u64()), (Some(2), Some(2)));
    let datasets = f.call("list_datasets", json!({"workspace": f.workspace}));
    assert_eq!(datasets[0]["versions"][0]["skipped"], 2);
    let id = datasets[0]["id"].as_str().unwrap();
    f.call("delete_dataset", json!({"workspace": f.workspace, "dataset": id}));
    assert!(f.call("list_datasets", json!({"workspace": f.workspace})).as_array().unwrap().is_empty());
}

#[test]
fn a_cancelled_import_leaves_nothing_behind() {
    let f = fixture();
    let path = f.home.parent().unwrap().join("large.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    revlens_datagen::write_transactions(&mut file, 300_000, 7).unwrap();
    drop(file);
    let app = Arc::new(f.app);
    let canceller = {
        let (app, events) = (app.clone(), f.events.clone());
        std::thread::spawn(move || loop {
            if events.lock().unwrap().iter().any(|e| matches!(e, AppEvent::Progress { .. })) {
                app.call("cancel_job", json!({"job": "big"})).unwrap();
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        })
    };
    let args = json!({"workspace": f.workspace, "path": path, "kind": "transactions", "job": "big"});
    let error = app.call("import_file", args).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(error.code, ErrorCode::Cancelled, "{error:?}");
    assert!(app.call("list_datasets", json!({"workspace": f.workspace})).unwrap().as_array().unwrap().is_empty());
    // Cancelling a finished or unknown job is a no-op.
    app.call("cancel_job", json!({"job": "big"})).unwrap();
}

#[test]
fn dashboards_and_scenarios_persist_across_a_restart() {
    let f = fixture();
    f.import_subscriptions();
    let listed = f.call("list_dashboards", json!({"workspace": f.workspace}));
    let names: Vec<_> = listed.as_array().unwrap().iter().map(|d| d["name"].clone()).collect();
    assert_eq!(names, [json!("CFO"), json!("Acquisition")]);
    let saved = f.call(
        "save_dashboard",
        json!({"workspace": f.workspace, "dashboard": {"id": null, "name": "Board", "template": false,
               "tiles": ["mrr", "arr", "movements", "top_customers"], "filters": {"to": "2025-02"}}}),
    );
    let template = f.app.call(
        "save_dashboard",
        json!({"workspace": f.workspace, "dashboard": {"id": null, "name": "cfo", "template": false, "tiles": ["mrr"], "filters": {}}}),
    );
    assert_eq!(template.unwrap_err().code, ErrorCode::Conflict);
    let own_template = f.call(
        "save_dashboard",
        json!({"workspace": f.workspace, "dashboard": {"id": null, "name": "Weekly", "template": true, "tiles": ["mrr", "cohorts"], "filters": {}}}),
    );
    let built_in_name = f.app.call(
        "save_dashboard",
        json!({"workspace": f.workspace, "dashboard": {"id": null, "name": "Acquisition", "template": true, "tiles": ["mrr"], "filters": {}}}),
    );
    assert_eq!(built_in_name.unwrap_err().code, ErrorCode::Conflict);
    let unknown = f.app.call(
        "save_dashboard",
        json!({"workspace": f.workspace, "dashboard": {"id": null, "name": "X", "template": false, "tiles": ["pie"], "filters": {}}}),
    );
    assert_eq!(unknown.unwrap_err().code, ErrorCode::InvalidArgs);

    // Scenario by hand: from Mar's 330, +10 new and 0 % rates: MRR 340, 350 → ARR 4080, 4200.
    let scenario = f.call(
        "save_scenario",
        json!({"workspace": f.workspace, "scenario": {"id": null, "name": "Steady", "months": 2,
               "assumptions": {"new_mrr_per_month": 10.0, "expansion_pct": 0.0, "contraction_pct": 0.0, "churn_pct": 0.0}}}),
    );
    let scenario_id = scenario["id"].as_str().unwrap().to_string();

    // Restart: a new App on the same home.
    let home = f.home.clone();
    drop(f.app);
    let (app, _) = open(&home);
    let dashboards = app.call("list_dashboards", json!({"workspace": f.workspace})).unwrap();
    let board = dashboards.as_array().unwrap().iter().find(|d| d["name"] == "Board").unwrap();
    assert_eq!(board, &saved);
    assert_eq!(board["filters"]["to"], "2025-02");
    let names: Vec<_> =
        dashboards.as_array().unwrap().iter().map(|d| (d["name"].clone(), d["template"].clone())).collect();
    assert_eq!(
        names,
        [
            (json!("CFO"), json!(true)),
            (json!("Acquisition"), json!(true)),
            (json!("Weekly"), json!(true)),
            (json!("Board"), json!(false))
        ]
    );
    assert_eq!(dashboards[2], own_template);

    let chart = app
        .call("project_scenarios", json!({"workspace": f.workspace, "scenarios": [scenario_id], "months": 2}))
        .unwrap();
    assert_eq!(chart["x_labels"], json!(["2025-04", "2025-05"]));
    assert_eq!(chart["series"][1]["name"], "Steady");
    assert_eq!(chart["series"][1]["values"], json!([4080.0, 4200.0]));
    // Baseline: the trailing averages of Feb and Mar. New: (200 + 30) ÷ 2 = 115; expansion
    // and contraction 0; churn: Feb 0 %, Mar 50 ÷ 350 = 14.2857 % → 7.14 % (rounded).
    let baseline = app.call("baseline_assumptions", json!({"workspace": f.workspace})).unwrap();
    assert_eq!(
        baseline,
        json!({"new_mrr_per_month": 115.0, "expansion_pct": 0.0, "contraction_pct": 0.0, "churn_pct": 7.14})
    );
    let scenarios = app.call("list_scenarios", json!({"workspace": f.workspace})).unwrap();
    assert_eq!(scenarios[0], scenario);
    let bad = app.call(
        "save_scenario",
        json!({"workspace": f.workspace, "scenario": {"id": null, "name": "Wild", "months": 2,
               "assumptions": {"new_mrr_per_month": 1.0, "expansion_pct": 400.0, "contraction_pct": 0.0, "churn_pct": 0.0}}}),
    );
    assert_eq!(bad.unwrap_err().code, ErrorCode::InvalidArgs);
}

fn decode(file: &Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(file["base64"].as_str().unwrap()).unwrap()
}

#[test]
fn exports_render_the_same_numbers() {
    let f = fixture();
    f.import_subscriptions();
    let png = f.call("export_chart", json!({"workspace": f.workspace, "chart": "mrr", "format": "png"}));
    assert_eq!(png["file_name"], "mrr.png");
    assert!(decode(&png).starts_with(b"\x89PNG\r\n\x1a\n"));
    let svg = String::from_utf8(decode(
        &f.call("export_chart", json!({"workspace": f.workspace, "chart": "cohorts", "format": "svg"})),
    ))
    .unwrap();
    assert!(svg.contains("<svg") && svg.contains("2025-01"), "{svg}");

    let csv = String::from_utf8(decode(
        &f.call("export_table", json!({"workspace": f.workspace, "table": "top_customers", "format": "csv"})),
    ))
    .unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines[0], "Rank,Customer,MRR,ARR,Share of MRR,Movement,Change");
    assert!(lines[1].starts_with("1,C,200.00,2400.00,"), "{csv}");
    let drill = String::from_utf8(decode(&f.call(
        "export_table",
        json!({"workspace": f.workspace, "table": "drill_down", "format": "csv", "chart": "movements", "month": "2025-03", "series": "new"}),
    )))
    .unwrap();
    assert!(drill.contains("D,new,0.00,30.00,30.00"), "{drill}");

    let dashboard = json!({"id": null, "name": "CFO", "template": true, "tiles": ["arr", "nrr", "movements", "top_customers"], "filters": {}});
    let workbook = f.call("export_dashboard", json!({"workspace": f.workspace, "dashboard": dashboard}));
    assert_eq!(workbook["file_name"], "CFO.xlsx");
    let bytes = decode(&workbook);
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let target = f.home.parent().unwrap().join("saved.xlsx");
    revlens_commands::write_export(&target, &serde_json::from_value(workbook).unwrap()).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
}

#[test]
fn errors_are_typed() {
    let f = fixture();
    assert_eq!(f.app.call("no_such_command", json!({})).unwrap_err().code, ErrorCode::UnknownCommand);
    let missing = f.app.call("list_datasets", json!({})).unwrap_err();
    assert_eq!(missing.code, ErrorCode::InvalidArgs);
    assert!(missing.message.contains("workspace"), "{}", missing.message);
    let unknown = f.app.call("list_datasets", json!({"workspace": "0190f0a0-0000-7000-8000-000000000000"}));
    assert_eq!(unknown.unwrap_err().code, ErrorCode::NotFound);
    let duplicate = f.app.call("create_workspace", json!({"name": "Acme"}));
    assert_eq!(duplicate.unwrap_err().code, ErrorCode::Conflict);
    let renamed = f.call("rename_workspace", json!({"workspace": f.workspace, "name": "Acme GmbH"}));
    assert_eq!(renamed["name"], "Acme GmbH");
    f.call("delete_workspace", json!({"workspace": f.workspace}));
    let names: Vec<_> =
        f.call("list_workspaces", json!({})).as_array().unwrap().iter().map(|w| w["name"].clone()).collect();
    assert!(!names.contains(&json!("Acme GmbH")));
}

#[test]
fn the_demo_workspace_has_a_live_dashboard() {
    let f = fixture();
    let demo = f.call("ensure_demo", json!({}));
    assert_eq!(demo["name"], "Demo SaaS");
    assert_eq!(demo["datasets"], 2);
    let again = f.call("ensure_demo", json!({}));
    assert_eq!(again["id"], demo["id"]);
    let dashboard = f.call("revenue_dashboard", json!({"workspace": demo["id"], "filters": {}}));
    assert!(tile(&dashboard, "mrr").0.as_f64().unwrap() > 0.0);
    assert!(dashboard["months"].as_array().unwrap().len() >= 36);
    assert!(!dashboard["filter_options"]["segment"].as_array().unwrap().is_empty());
}
