use crate::helpers::Env;

/// Three customers, every number worked out by hand (month-end snapshots):
/// - A: 100/month from 2024-01-15, open → 100 in Jan, Feb, Mar.
/// - B: 1,200/year from 2024-01-31 (a month's last day, so active that day) → 100/month.
/// - C: 50/month from 2024-02-01 to 2024-03-01 (the first day no longer covered) →
///   50 in Feb, 0 in Mar: churn of 50 in March.
const SUBSCRIPTIONS: &str = "\
customer,mrr amount,start,end,interval
A,100,2024-01-15,,month
B,1200,2024-01-31,,year
C,50,2024-02-01,2024-03-01,month
";

const EXPECTED_MRR: &str = "\
month,mrr,arr,customers,new,expansion,contraction,churn,reactivation
2024-01,200.00,2400.00,2,200.00,0.00,0.00,0.00,0.00
2024-02,250.00,3000.00,3,50.00,0.00,0.00,0.00,0.00
2024-03,200.00,2400.00,2,0.00,0.00,0.00,50.00,0.00";

#[test]
fn mrr_from_a_file_follows_the_csv_contract() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let out = env
        .run(&[
            "metrics",
            "mrr",
            path.to_str().unwrap(),
            "--kind",
            "subscriptions",
            "--to",
            "2024-03",
            "--format",
            "csv",
        ])
        .ok();
    assert_eq!(out.stdout.trim_end(), EXPECTED_MRR);
    // A file is imported into a temporary store: nothing stays in this one.
    assert_eq!(env.run(&["datasets", "--format", "json"]).ok().json(), serde_json::json!([]));
}

#[test]
fn a_stored_dataset_gives_the_same_numbers_and_the_second_request_reads_the_cache() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    env.import_json(&path, "subscriptions", &["--name", "subs"]);
    let args = ["metrics", "mrr", "--dataset", "subs", "--kind", "subscriptions", "--to", "2024-03", "--format", "csv"];
    assert_eq!(env.run(&args).ok().stdout.trim_end(), EXPECTED_MRR);
    let cached: Vec<_> = env.stored_files().into_iter().filter(|f| f.starts_with("cache/")).collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(env.run(&args).ok().stdout.trim_end(), EXPECTED_MRR);
    assert_eq!(env.stored_files().iter().filter(|f| f.starts_with("cache/")).count(), 1);

    // A new version is new data: the cache does not answer for it.
    let grown = env.file("subs.csv", format!("{SUBSCRIPTIONS}D,10,2024-03-05,,month\n"));
    env.import_json(&grown, "subscriptions", &["--name", "subs"]);
    let march = env.run(&args).ok().stdout.lines().last().unwrap().to_owned();
    assert_eq!(march, "2024-03,210.00,2520.00,3,10.00,0.00,0.00,50.00,0.00");
}

#[test]
fn a_month_range_outside_the_data_says_what_the_data_covers() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    env.run(&["metrics", "kpis", path.to_str().unwrap(), "--kind", "subscriptions", "--from", "2020-01"])
        .fails_with(1, "which covers 2024-01 to");
    env.run(&["metrics", "mrr", "--kind", "subscriptions"]).fails_with(2, "required");
    env.run(&["metrics", "mrr", path.to_str().unwrap(), "--kind", "customers"])
        .fails_with(1, "need a subscriptions or transactions");
}

#[test]
fn churn_lists_every_customer_with_its_source_and_reason() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let customers = env.file("customers.csv", "customer_id,churned\nA,no\nB,\nC,\nZ,yes\n");
    let out = env
        .run(&[
            "churn",
            path.to_str().unwrap(),
            "--kind",
            "subscriptions",
            "--customers",
            customers.to_str().unwrap(),
            "--as-of",
            "2024-03",
            "--format",
            "csv",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "customer_id,churned,churn_source,reason");
    let row = |id: &str| lines.iter().find(|l| l.starts_with(&format!("{id},"))).copied().unwrap_or_default();
    assert!(row("A").starts_with("A,false,provided,"), "{}", out.stdout);
    assert!(row("B").starts_with("B,false,computed,"), "{}", out.stdout);
    assert!(row("C").starts_with("C,true,computed,\"computed: last paid month 2024-02,"), "{}", out.stdout);
    assert!(row("Z").starts_with("Z,true,provided,"), "{}", out.stdout);
}

#[test]
fn cohorts_and_top_customers_follow_their_contracts() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let file = path.to_str().unwrap();
    let cohorts =
        env.run(&["metrics", "cohorts", file, "--kind", "subscriptions", "--to", "2024-03", "--format", "csv"]).ok();
    // Jan cohort {A, B}: both active through March. Feb cohort {C}: gone in March.
    assert_eq!(
        cohorts.stdout.trim_end(),
        "cohort,size,m0,m1,m2\n2024-01,2,1.0000,1.0000,1.0000\n2024-02,1,1.0000,0.0000,\n".trim_end()
    );
    let top = env
        .run(&["metrics", "top-customers", file, "--kind", "subscriptions", "--month", "2024-02", "--format", "json"])
        .ok()
        .json();
    assert_eq!(top.as_array().unwrap().len(), 3);
    assert_eq!(top[2]["customer_id"], "C");
    assert_eq!(top[2]["mrr"], 50.0);
    assert_eq!(top[2]["share"], 0.2);
}
