//! CSV files a scenario reads: Alibaba trace pod and node lists (`openb_pod_list_*`,
//! `openb_node_list_*`: see traces/alibaba-gpu-v2023/PROVENANCE.md), Azure's LLM inference trace,
//! rate tables, spot interruptions and spot prices. Every message names the file and the line.

use super::services_fleet::service;
use super::{scenario_with, validate, with_catalog, Case};

/// A valid two-request Azure trace (`TIMESTAMP,ContextTokens,GeneratedTokens`).
pub(super) const AZURE_CSV: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                                     2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n";

const POD_HEADER: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n";
const NODE_HEADER: &str = "sn,cpu_milli,memory_mib,gpu,model\n";
const INTERRUPTIONS: &str = "at,instance_type,zone,count\n";
const PRICES: &str = "at,instance_type,zone,price\n";
const RATES: &str = "t,requests_per_s,tokens_per_s\n";

/// A scenario replaying `pods.csv`.
fn replays() -> String {
    scenario_with("workload", "{trace: {pods_csv: pods.csv}}")
}

/// A scenario whose cluster is `nodes.csv`.
fn nodes_from_csv() -> String {
    scenario_with("cluster", "{nodes_csv: nodes.csv}")
}

/// A Karpenter scenario whose market reads `m.csv` as `field` (interruptions_csv, spot_prices_csv).
fn market(field: &str) -> String {
    with_catalog(&format!(
        "nodepools: [{{apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {{name: np}}, spec: {{template: {{spec: {{requirements: [{{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}}, {{key: karpenter.sh/capacity-type, operator: In, values: [spot]}}]}}}}}}}}]\nmarket: {{{field}: m.csv}}\n"
    ))
}

fn pods(name: &'static str, csv: String, says: &'static [&'static str]) -> Case {
    validate(name, vec![("pods.csv", csv), ("s.yaml", replays())], says)
}

fn nodes(name: &'static str, csv: String, says: &'static [&'static str]) -> Case {
    validate(name, vec![("nodes.csv", csv), ("s.yaml", nodes_from_csv())], says)
}

fn market_csv(name: &'static str, field: &str, csv: String, says: &'static [&'static str]) -> Case {
    validate(name, vec![("m.csv", csv), ("s.yaml", market(field))], says)
}

fn azure(name: &'static str, csv: String, says: &'static [&'static str]) -> Case {
    validate(name, vec![("a.csv", csv), ("s.yaml", service("azure_csv: a.csv", ""))], says)
}

fn rates(name: &'static str, csv: String, says: &'static [&'static str]) -> Case {
    validate(name, vec![("r.csv", csv), ("s.yaml", service("rates_csv: r.csv", ""))], says)
}

pub(super) fn cases() -> Vec<Case> {
    let p = |rows: &str| format!("{POD_HEADER}{rows}");
    let n = |rows: &str| format!("{NODE_HEADER}{rows}");
    vec![
        // Trace pod lists.
        pods("an empty pod list", String::new(), &["pods.csv:1", "the file is empty; expected a CSV header row"]),
        pods(
            "a pod list without gpu_milli",
            "name,cpu_milli,memory_mib,num_gpu\np0,1,1,1\n".into(),
            &["pods.csv:1", "missing column(s) gpu_milli", "the header must name name, cpu_milli"],
        ),
        pods(
            "a pod list of a header only",
            POD_HEADER.into(),
            &["pods.csv", "no pods; expected at least one data row"],
        ),
        Case {
            name: "pod cpu_milli `abc` on line 3",
            files: vec![("pods.csv", p("p0,1000,1024,1,1000\np1,abc,1024,0,0\n")), ("s.yaml", replays())],
            args: &["trace", "DIR/s.yaml", "--out", "OUT/t.csv"],
            code: 2,
            says: &["pods.csv:3", "column `cpu_milli` is `abc`", "expected a whole number >= 0"],
        },
        Case {
            name: "a truncated pod row",
            files: vec![("pods.csv", p("p0,1000,1024,1,1000\np1,1000,1024,0\n")), ("s.yaml", replays())],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["pods.csv:3", "row has 4 fields, expected 5 like the header"],
        },
        pods(
            "a negative pod memory",
            p("p0,1000,-5,1,1000\n"),
            &["pods.csv:2", "column `memory_mib` is `-5`: negative", "expected a whole number >= 0"],
        ),
        pods(
            "a pod of 99999 GPUs",
            p("p0,1000,1024,99999,1000\n"),
            &["pods.csv:2", "column `num_gpu` is 99999, which is absurd", "expected at most 1024"],
        ),
        pods(
            "a GPU share of 1500 milli",
            p("p0,1000,1024,1,1500\n"),
            &["pods.csv:2", "column `gpu_milli` is 1500", "expected at most 1000"],
        ),
        pods(
            "a GPU share on two GPUs",
            p("p0,1000,1024,2,500\n"),
            &["pods.csv:2", "pod `p0`", "a share below 1000 is only possible on one GPU"],
        ),
        pods(
            "a pod deleted before it was created",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\np0,1000,1024,1,1000,100,50\n"
                .into(),
            &["pods.csv:2", "pod `p0`", "deletion_time 50 is before creation_time 100"],
        ),
        pods(
            "a fractional creation time",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time\np0,1000,1024,1,1000,1.5\n".into(),
            &["pods.csv:2", "column `creation_time` is `1.5`", "expected a whole number >= 0"],
        ),
        pods("a pod without a name", p(",1000,1024,1,1000\n"), &["pods.csv:2", "column `name` is empty"]),
        // Trace node lists.
        nodes("an empty node list", String::new(), &["nodes.csv:1", "the file is empty; expected a CSV header row"]),
        nodes(
            "a node list header with `cpu`",
            "sn,cpu,memory_mib,gpu,model\nn0,32000,262144,2,P100\n".into(),
            &["nodes.csv:1", "missing column(s) cpu_milli", "(found: sn, cpu, memory_mib, gpu, model)"],
        ),
        nodes(
            "node cpu_milli `lots` on line 3",
            n("n0,32000,262144,2,P100\nn1,lots,262144,2,P100\n"),
            &["nodes.csv:3", "column `cpu_milli` is `lots`", "expected a whole number >= 0"],
        ),
        nodes(
            "a negative node memory",
            n("n0,32000,-1,2,P100\n"),
            &["nodes.csv:2", "column `memory_mib` is `-1`: negative"],
        ),
        nodes(
            "node GPUs without a model",
            n("n0,32000,262144,2,\n"),
            &["nodes.csv:2", "node `n0` has 2 GPUs but no `model`"],
        ),
        nodes(
            "a node of 5000 GPUs",
            n("n0,32000,262144,5000,P100\n"),
            &["nodes.csv:2", "column `gpu` is 5000, which is absurd", "expected at most 256"],
        ),
        nodes(
            "a node listed twice",
            n("n0,32000,262144,2,P100\nn0,32000,262144,2,P100\n"),
            &["nodes.csv:3", "node `n0` appears twice"],
        ),
        nodes("a truncated node row", n("n0,32000,262144,2\n"), &["nodes.csv:2", "row has 4 fields, expected 5"]),
        nodes(
            "a node without a name",
            n(",32000,262144,2,P100\n"),
            &["nodes.csv:2", "column `sn` (node name) is empty"],
        ),
        nodes(
            "a node list of a header only",
            NODE_HEADER.into(),
            &["nodes.csv", "no nodes; expected at least one data row"],
        ),
        // Spot interruptions (`at,instance_type,zone[,count]`, as scenarios/karpenter/interruptions-illustrative.csv).
        market_csv(
            "an empty interruption CSV",
            "interruptions_csv",
            String::new(),
            &["m.csv", "line 1", "expected `at,instance_type,zone,count`"],
        ),
        market_csv(
            "an interruption CSV with `type`",
            "interruptions_csv",
            "at,type,zone\n2h,g5.xlarge,us-east-1a\n".into(),
            &["m.csv", "line 1", "header `at,type,zone`; expected `at,instance_type,zone,count`"],
        ),
        market_csv(
            "an interruption at `10x`",
            "interruptions_csv",
            format!("{INTERRUPTIONS}2h,g5.xlarge,us-east-1a,1\n10x,g5.xlarge,us-east-1a,1\n"),
            &["m.csv", "line 3", "at: `10x` has unknown unit `x`"],
        ),
        market_csv(
            "an interruption of a type the catalog lacks",
            "interruptions_csv",
            format!("{INTERRUPTIONS}2h,g9.huge,us-east-1a,1\n"),
            &["m.csv", "line 2", "instance type `g9.huge` is not in the catalog"],
        ),
        market_csv(
            "an interruption in a zone the type is not sold in",
            "interruptions_csv",
            format!("{INTERRUPTIONS}2h,g5.xlarge,mars-1a,1\n"),
            &["m.csv", "line 2", "g5.xlarge is not sold in zone `mars-1a`"],
        ),
        market_csv(
            "an interruption count of -1",
            "interruptions_csv",
            format!("{INTERRUPTIONS}2h,g5.xlarge,us-east-1a,-1\n"),
            &["m.csv", "line 2", "count: `-1`; expected 1..=10000"],
        ),
        market_csv(
            "an interruption count of 0",
            "interruptions_csv",
            format!("{INTERRUPTIONS}2h,g5.xlarge,us-east-1a,0\n"),
            &["m.csv", "line 2", "count: `0`; expected 1..=10000"],
        ),
        // Spot prices (`at,instance_type,zone,price`).
        market_csv(
            "a spot price `cheap`",
            "spot_prices_csv",
            format!("{PRICES}0s,g5.xlarge,us-east-1a,cheap\n"),
            &["m.csv", "line 2", "price: `cheap`; expected a price in USD/h"],
        ),
        market_csv(
            "a negative spot price",
            "spot_prices_csv",
            format!("{PRICES}0s,g5.xlarge,us-east-1a,-0.3\n"),
            &["m.csv", "line 2", "price: `-0.3`; expected a price in USD/h"],
        ),
        market_csv(
            "a spot price of a type the catalog lacks",
            "spot_prices_csv",
            format!("{PRICES}0s,g9.huge,us-east-1a,0.3\n"),
            &["m.csv", "line 2", "instance type `g9.huge` is not in the catalog"],
        ),
        market_csv(
            "a spot price at `-1h`",
            "spot_prices_csv",
            format!("{PRICES}-1h,g5.xlarge,us-east-1a,0.3\n"),
            &["m.csv", "line 2", "at: `-1h` is not a duration"],
        ),
        market_csv(
            "a spot price row without a price",
            "spot_prices_csv",
            "at,instance_type,zone\n0s,g5.xlarge,us-east-1a\n".into(),
            &["m.csv", "line 2", "price: missing; expected a price in USD/h"],
        ),
        // Azure LLM inference trace (`TIMESTAMP,ContextTokens,GeneratedTokens`).
        azure(
            "an empty Azure trace",
            String::new(),
            &["a.csv", "line 1", "expected TIMESTAMP,ContextTokens,GeneratedTokens"],
        ),
        azure(
            "an Azure trace with other columns",
            "time,ctx,gen\n2023-11-16 18:15:46.6805900,374,44\n".into(),
            &["a.csv", "line 1", "header `time,ctx,gen`; expected TIMESTAMP,ContextTokens,GeneratedTokens"],
        ),
        azure(
            "an ISO 8601 TIMESTAMP",
            AZURE_CSV.replace("2023-11-16 18:15:46.6805900", "2023-11-16T18:15:46"),
            &["a.csv", "line 2", "TIMESTAMP `2023-11-16T18:15:46`; expected `YYYY-MM-DD HH:MM:SS.fffffff`"],
        ),
        azure(
            "a negative ContextTokens",
            AZURE_CSV.replace(",396,", ",-3,"),
            &["a.csv", "line 3", "ContextTokens `-3`; expected a count"],
        ),
        azure(
            "GeneratedTokens `many`",
            AZURE_CSV.replace(",109", ",many"),
            &["a.csv", "line 3", "GeneratedTokens `many`; expected a count"],
        ),
        azure(
            "requests out of time order",
            AZURE_CSV.replace("18:15:50.9951690", "18:15:40.9951690"),
            &["a.csv", "line 3", "is before the previous row's", "expected arrival order"],
        ),
        azure(
            "an Azure trace spanning two years",
            AZURE_CSV.replace("2023-11-16 18:15:50", "2025-11-16 18:15:50"),
            &["a.csv", "the trace spans 63158405 s; at most a year is supported"],
        ),
        azure(
            "an Azure trace of a header only",
            AZURE_CSV.lines().next().unwrap().to_string() + "\n",
            &["a.csv", "no requests"],
        ),
        // Rate tables (`t,requests_per_s,tokens_per_s`).
        rates(
            "a rate table with other columns",
            "t,rps,tps\n0s,5,5000\n".into(),
            &["r.csv", "line 1", "header `t,rps,tps`; expected t,requests_per_s,tokens_per_s"],
        ),
        rates(
            "a rate table time `10x`",
            format!("{RATES}0s,5,5000\n10x,2,2000\n"),
            &["r.csv", "line 3", "t: `10x` has unknown unit `x`"],
        ),
        rates(
            "a negative request rate",
            format!("{RATES}0s,-5,5000\n"),
            &["r.csv", "line 2", "requests_per_s `-5`; expected a rate >= 0"],
        ),
        rates(
            "a token rate `lots`",
            format!("{RATES}0s,5,lots\n"),
            &["r.csv", "line 2", "tokens_per_s `lots`; expected a rate >= 0"],
        ),
        rates(
            "rate table times going back",
            format!("{RATES}1h,5,5000\n0s,2,2000\n"),
            &["r.csv", "line 3", "times must increase"],
        ),
        rates("a rate table of a header only", RATES.into(), &["r.csv", "no rows"]),
    ]
}
