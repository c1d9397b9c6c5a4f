//! Metric analysis against `fixtures/conformance/rollouts/analysis-evaluate.jsonl` (Argo
//! Rollouts' own test tables) and `fixtures/conformance/prometheus/query-responses.jsonl`.

use std::collections::BTreeMap;

use ferry_health::analysis::Phase;
use ferry_health::analysis::evaluate::{Conditions, evaluate_sources};
use ferry_health::analysis::expr::{self, Value};
use ferry_health::analysis::metric::{
    Counters, Limits, MetricState, assess_limits, assess_metric, assess_run,
};
use ferry_health::analysis::prometheus::{self, Answer, parse_answer, process_data};
use serde_json::Value as Json;

fn cases(kind: &str) -> Vec<Json> {
    let all = ferry_test_support::conformance_cases("rollouts/analysis-evaluate.jsonl");
    let of_kind: Vec<Json> = all.into_iter().filter(|c| c["kind"] == kind).collect();
    assert!(!of_kind.is_empty(), "no {kind} cases in the data");
    of_kind
}

fn id(case: &Json) -> &str {
    case["id"].as_str().expect("every case has an id")
}

/// A special float written as a string (`"NaN"`, `"+Inf"`), or a number.
fn float(v: &Json) -> f64 {
    match v {
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().expect("a float string"),
        },
        other => other.as_f64().expect("a number"),
    }
}

/// The Go value a case describes, from its JSON and Go type.
fn typed(v: &Json, go_type: &str) -> Value {
    match go_type {
        "float64" | "*float64 (points to 1)" => Value::Float(float(v)),
        "int" => Value::Int(v.as_i64().expect("an int")),
        "[]float64" => Value::Array(
            v.as_array()
                .expect("an array")
                .iter()
                .map(|x| Value::Float(float(x)))
                .collect(),
        ),
        t if t.starts_with("nil") || t.contains("(nil)") => Value::Nil,
        _ => Value::from_json(v),
    }
}

fn result_of(case: &Json) -> Value {
    typed(
        &case["result"],
        case["result_go_type"].as_str().expect("result_go_type"),
    )
}

#[test]
fn evaluate_result_cases() {
    let mut n = 0;
    for kind in ["evaluate_result", "docs_example"] {
        for case in cases(kind) {
            let id = id(&case);
            let success = case["successCondition"].as_str().expect("successCondition");
            let failure = case["failureCondition"].as_str().expect("failureCondition");
            let (phase, message) = evaluate_sources(&result_of(&case), success, failure);
            let want = case["expected_phase"].as_str().expect("expected_phase");
            assert_eq!(phase.as_str(), want, "{id}");
            assert_eq!(
                message.is_some(),
                case["expected_error"].as_bool().unwrap_or(false),
                "{id}: {message:?}"
            );
            for part in case["expected_error_contains"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let part = part.as_str().expect("a substring");
                let message = message.as_deref().unwrap_or("");
                assert!(message.contains(part), "{id}: {message:?} lacks {part:?}");
            }
            if let Some(reference) = case["reference_error"].as_str() {
                assert_eq!(message.as_deref(), Some(reference), "{id}");
            }
            n += 1;
        }
    }
    assert_eq!(n, 19);
}

#[test]
fn eval_condition_cases() {
    let all = cases("eval_condition");
    for case in &all {
        let id = id(case);
        let condition = case["condition"].as_str().expect("condition");
        let got = expr::eval_condition(&result_of(case), condition);
        if case["expected_error"].as_bool().expect("expected_error") {
            let e = got.expect_err(id).to_string();
            if let Some(exact) = case["expected_error_message"].as_str() {
                assert_eq!(e, exact, "{id}");
            }
            if let Some(re) = case["expected_error_regexp"].as_str() {
                let re = regex::Regex::new(re).expect("a regex");
                assert!(re.is_match(&e), "{id}: {e:?} does not match {re}");
            }
        } else {
            assert_eq!(
                got.unwrap_or_else(|e| panic!("{id}: {e}")),
                case["expected"].as_bool().expect("expected"),
                "{id}"
            );
        }
    }
    assert_eq!(all.len(), 21);
}

#[test]
fn helper_function_cases() {
    let all = cases("helper_fn");
    for case in &all {
        let id = id(case);
        let f = case["fn"].as_str().expect("fn");
        let arg = typed(&case["arg"], case["arg_go_type"].as_str().expect("type"));
        let panics = case["expected_panic"].as_bool().unwrap_or(false);
        match f {
            "asInt" => match expr::as_int(&arg) {
                Ok(v) => assert_eq!(Some(v), case["expected"].as_i64(), "{id}"),
                Err(_) => assert!(panics, "{id}"),
            },
            "asFloat" => match expr::as_float(&arg) {
                Ok(v) => assert_eq!(Some(v), case["expected"].as_f64(), "{id}"),
                Err(_) => assert!(panics, "{id}"),
            },
            "isInf" => assert_eq!(
                expr::is_inf(&arg).expect(id),
                case["expected"].as_bool().expect("bool"),
                "{id}"
            ),
            // isNil and default look at the whole result: evaluate them in an expression.
            "isNil" => assert_eq!(
                expr::Condition::parse("isNil(result)")
                    .expect("parses")
                    .eval(&arg)
                    .expect(id),
                case["expected"].as_bool().expect("bool"),
                "{id}"
            ),
            "default" => {
                let d = case["default_arg"].as_i64().expect("default_arg");
                let got = expr::Condition::parse(&format!("default(result, {d})"))
                    .expect("parses")
                    .eval_value(&arg)
                    .expect(id);
                let want = case["expected"].as_f64().expect("number");
                match got {
                    Value::Int(i) => assert_eq!(i as f64, want, "{id}"),
                    Value::Float(f) => assert_eq!(f, want, "{id}"),
                    other => panic!("{id}: {other:?}"),
                }
            }
            internal if internal.starts_with("isNilOrEmpty") => {
                let arg = if case["arg_go_type"] == "[]string" {
                    Value::from_json(&case["arg"])
                } else {
                    arg
                };
                assert_eq!(
                    arg.is_nil_or_empty(),
                    case["expected"].as_bool().expect("bool"),
                    "{id}"
                );
            }
            other => panic!("{id}: unexpected helper {other}"),
        }
    }
    assert_eq!(all.len(), 24);
}

fn limits(metric: &Json) -> Limits {
    Limits {
        count: metric["count"].as_i64(),
        interval: metric["interval"]
            .as_str()
            .map(|i| ferry_config::parse_duration(i).expect("an interval")),
        failure_limit: metric["failureLimit"].as_i64(),
        inconclusive_limit: metric["inconclusiveLimit"].as_i64(),
        consecutive_error_limit: metric["consecutiveErrorLimit"].as_i64(),
        consecutive_success_limit: metric["consecutiveSuccessLimit"].as_i64(),
    }
}

fn counters(r: &Json) -> Counters {
    let n = |k: &str| r[k].as_i64().unwrap_or(0);
    Counters {
        count: n("count"),
        successful: n("successful"),
        failed: n("failed"),
        inconclusive: n("inconclusive"),
        error: n("error"),
        consecutive_error: n("consecutiveError"),
        consecutive_success: n("consecutiveSuccess"),
    }
}

fn last_phase(r: &Json) -> Option<Phase> {
    r["measurements"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| Phase::parse(m["phase"].as_str().expect("phase")).expect("a phase"))
}

#[test]
fn assess_metric_status_cases() {
    let all = cases("assess_metric_status");
    for case in &all {
        let id = id(case);
        let r = &case["metric_result"];
        let got = assess_metric(
            &limits(&case["metric"]),
            &counters(r),
            last_phase(r),
            case["terminating"].as_bool().expect("terminating"),
        );
        assert_eq!(got.as_str(), case["expected_phase"], "{id}");
    }
    assert_eq!(all.len(), 54);
}

#[test]
fn limit_cases() {
    for case in cases("assess_failure_inconclusive_or_error") {
        let id = id(&case);
        let r = &case["metric_result"];
        let l = limits(&case["metric"]);
        let (phase, message) = assess_limits(&l, &counters(r)).expect(id);
        assert_eq!(phase.as_str(), case["expected_phase"], "{id}");
        assert_eq!(message, case["expected_message"], "{id}");
        let terminating = assess_metric(&l, &counters(r), last_phase(r), true);
        assert_eq!(
            terminating.as_str(),
            case["also_expected_assess_metric_status_terminating"],
            "{id}"
        );
    }
}

#[test]
fn measurement_counter_cases() {
    for case in cases("measurement_counters") {
        let mut c = counters(&case["before"]);
        c.record(
            Phase::parse(case["new_measurement_phase"].as_str().expect("phase")).expect("a phase"),
        );
        let after = &case["expected_after"];
        for (k, v) in after.as_object().expect("an object") {
            let got = serde_json::to_value(c).expect("counters serialise");
            assert_eq!(&got[k], v, "{}: {k}", id(&case));
        }
    }
}

#[test]
fn assess_run_status_cases() {
    let all = cases("assess_run_status");
    for case in &all {
        let id = id(case);
        let metrics = case["metrics"].as_array().expect("metrics");
        let results = case["metric_results"].as_array().expect("results");
        let lims: Vec<Limits> = metrics.iter().map(limits).collect();
        let states: Vec<MetricState<'_>> = results
            .iter()
            .zip(&lims)
            .map(|(r, l)| MetricState {
                name: r["name"].as_str().expect("name"),
                limits: l,
                phase: Phase::parse(r["phase"].as_str().expect("phase")).expect("a phase"),
                counters: counters(r),
                message: r["message"].as_str(),
                dry_run: r["dryRun"].as_bool().unwrap_or(false),
            })
            .collect();
        let (phase, message, summary) = assess_run(
            &states,
            case["spec_terminate"].as_bool().expect("terminate"),
        );
        assert_eq!(phase.as_str(), case["expected_phase"], "{id}");
        assert_eq!(message, case["expected_message"], "{id}");
        if !case["expected_dry_run_summary"].is_null() {
            assert_eq!(
                serde_json::to_value(summary).expect("summary"),
                case["expected_dry_run_summary"],
                "{id}"
            );
        }
    }
    assert_eq!(all.len(), 7);
}

/// The provider's reading of a query's data, then the conditions. Rollouts evaluates an empty
/// result; Ferry calls it inconclusive first (no case here has one).
#[test]
fn prometheus_response_cases() {
    let mut ran = 0;
    for case in cases("prometheus_response") {
        let id = id(&case);
        if case.get("range_query").is_some() {
            // Range queries are refused by the template reader; the data's reading still holds.
            let (value, text) = process_data(&case["prometheus_data"]).expect(id);
            assert_eq!(text, case["expected_value"], "{id}");
            assert_eq!(value, result_of(&case), "{id}");
            continue;
        }
        let conditions = Conditions::parse(
            case["successCondition"].as_str().expect("success"),
            case["failureCondition"].as_str().expect("failure"),
        )
        .expect(id);
        let answer = Ok(Answer {
            data: case["prometheus_data"].clone(),
            warnings: Vec::new(),
        });
        let (phase, value, message) = prometheus::measure(answer, &conditions);
        assert_eq!(phase.as_str(), case["expected_phase"], "{id}");
        assert_eq!(value, case["expected_value"], "{id}");
        if let Some(m) = case["expected_message"]
            .as_str()
            .or(case["reference_error"].as_str())
        {
            assert_eq!(message.as_deref(), Some(m), "{id}");
        }
        if !case["result"].is_null() {
            let (got, _) = process_data(&case["prometheus_data"]).expect(id);
            let want = result_of(&case);
            // NaN != NaN: compare the text forms.
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{id}");
        }
        ran += 1;
    }
    assert!(ran >= 10, "{ran}");
}

#[test]
fn prometheus_run_error_cases() {
    for case in cases("prometheus_run_error") {
        let id = id(&case);
        if let Some(query) = case["query"].as_str() {
            // An argument that does not resolve: Rollouts' message, word for word.
            let e = ferry_health::analysis::template::substitute(query, &BTreeMap::new())
                .expect_err(id);
            assert_eq!(e, case["expected_message"], "{id}");
        } else if let Some(e) = case["query_error"].as_str() {
            let (phase, value, message) =
                prometheus::measure(Err(e.to_owned()), &Conditions::default());
            assert_eq!(phase.as_str(), case["expected_phase"], "{id}");
            assert_eq!(value, case["expected_value"], "{id}");
            assert_eq!(
                message.as_deref(),
                case["expected_message"].as_str(),
                "{id}"
            );
        }
        // Range-query cases: range queries are refused when a template is read.
    }
}

#[test]
fn prometheus_http_cases() {
    for case in cases("prometheus_http") {
        let id = id(&case);
        let status = case["http_status"].as_u64().expect("status") as u16;
        let body = case["http_body"].as_str().expect("body");
        let conditions = Conditions::parse(
            case["successCondition"].as_str().expect("success"),
            case["failureCondition"].as_str().expect("failure"),
        )
        .expect(id);
        let (phase, value, _) =
            prometheus::measure(parse_answer(status, body.as_bytes()), &conditions);
        assert_eq!(phase.as_str(), case["expected_phase"], "{id}");
        if let Some(v) = case["expected_value"].as_str() {
            assert_eq!(value, v, "{id}");
        }
    }
}

/// Every answer of the Prometheus data read as the client reads it.
#[test]
fn prometheus_query_responses() {
    let all = ferry_test_support::conformance_cases("prometheus/query-responses.jsonl");
    assert_eq!(all.len(), 38);
    for case in &all {
        let id = id(case);
        let status = case["http_status"].as_u64().unwrap_or(200) as u16;
        match case["kind"].as_str().expect("kind") {
            "response" | "codec_exact" => {
                let body = serde_json::to_vec(&case["body"]).expect("a body");
                let answer = parse_answer(status, &body).expect(id);
                let histograms = body.windows(10).any(|w| w == b"\"histogram");
                match process_data(&answer.data) {
                    Ok((Value::Array(values), text)) => {
                        assert!(!histograms, "{id}");
                        assert_eq!(text.matches(',').count() + 1, values.len().max(1), "{id}");
                    }
                    Ok((Value::Float(_), _)) => assert_eq!(answer.data["resultType"], "scalar"),
                    Ok(other) => panic!("{id}: {other:?}"),
                    // Native histograms and strings are not read (Rollouts reads floats only).
                    Err(e) => assert!(
                        histograms || answer.data["resultType"] == "string",
                        "{id}: {e}"
                    ),
                }
            }
            "point_exact" => {
                let body: Json =
                    serde_json::from_str(case["expected_json"].as_str().expect("json")).expect(id);
                let data = serde_json::json!({"resultType": "scalar", "result": body["data"]});
                let (value, text) = process_data(&data).expect(id);
                // The value string is Prometheus' own, as sent.
                assert_eq!(text, body["data"][1].as_str().expect("a sample"), "{id}");
                assert_eq!(
                    format!("{value:?}"),
                    format!("{:?}", Value::Float(float(&case["value"]))),
                    "{id}"
                );
            }
            "error_response" | "error_status" => {
                let body = if case["body"].is_object() {
                    serde_json::to_vec(&case["body"]).expect("a body")
                } else {
                    // Only the status and a message substring are recorded: the API's envelope.
                    serde_json::to_vec(&serde_json::json!({"status": "error",
                        "errorType": case["expected_error_type"].as_str()
                            .or(case["reference_error_type"].as_str()).expect("a type"),
                        "error": case["expected_body_contains"].as_str().unwrap_or("")}))
                    .expect("a body")
                };
                let e = parse_answer(status, &body).expect_err(id);
                let kind = case["body"]["errorType"]
                    .as_str()
                    .or(case["expected_error_type"].as_str())
                    .or(case["reference_error_type"].as_str())
                    .expect("an error type");
                assert!(e.contains(kind), "{id}: {e}");
                assert!(e.contains(&status.to_string()), "{id}: {e}");
            }
            other => panic!("{id}: unexpected kind {other}"),
        }
    }
}

/// `status: "error"` on a 200 is an error; warnings are not.
#[test]
fn error_status_on_a_2xx_and_warnings() {
    let e = parse_answer(
        200,
        br#"{"status":"error","errorType":"execution","error":"boom"}"#,
    )
    .expect_err("an error envelope");
    assert_eq!(e, "Prometheus query failed: execution: boom");
    let a = parse_answer(
        200,
        br#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]},"warnings":["w"]}"#,
    )
    .expect("warnings do not fail");
    assert_eq!(a.warnings, ["w"]);
    assert!(parse_answer(502, b"<html>bad gateway</html>").is_err());
}

/// Ferry's rule: an empty vector is inconclusive, even for a condition that would accept it.
#[test]
fn an_empty_vector_is_inconclusive_never_successful() {
    let conditions =
        Conditions::parse("len(result) == 0 || result[0] >= 0.95", "").expect("parses");
    let data = serde_json::json!({"resultType": "vector", "result": []});
    let (phase, value, message) = prometheus::measure(
        Ok(Answer {
            data,
            warnings: Vec::new(),
        }),
        &conditions,
    );
    assert_eq!(phase, Phase::Inconclusive);
    assert_eq!(value, "[]");
    assert_eq!(message.as_deref(), Some("the query returned no data"));
}

/// Conditions the subset refuses say what they refuse, before anything runs.
#[test]
fn unsupported_syntax_is_refused_with_its_name() {
    for (src, says) in [
        ("result > 1 ? true : false", "operator ?"),
        ("result matches 'a'", "operator matches"),
        ("result.Name() == 'hi'", "method Name()"),
        ("foo(result)", "unknown name foo"),
        ("result[1:2] == []", "slices"),
        ("other > 1", "unknown name other"),
    ] {
        let e = expr::Condition::parse(src).expect_err(src).to_string();
        assert!(e.contains(says), "{src}: {e}");
    }
    let e = Conditions::parse("result >", "").expect_err("incomplete");
    assert!(e.starts_with("successCondition \"result >\""), "{e}");
}

#[test]
fn conditions_rollouts_users_write() {
    let v = Value::Array(vec![Value::Float(0.97), Value::Float(0.99)]);
    for (src, want) in [
        ("result[0] >= 0.95", true),
        ("result[-1] >= 0.99", true),
        ("len(result) > 0 && result[0] >= 0.98", false),
        ("all(result, {# > 0.9})", true),
        ("any(result, # > 0.98)", true),
        ("none(result, {# < 0.5}) || false", true),
        ("count(result, {# > 0.98}) == 1", true),
        ("!isNaN(result[0]) and result[0] < 1", true),
        ("sum(result) / len(result) > 0.97", true),
        ("max(result) == 0.99 && min(result) == 0.97", true),
        ("(result[0] + 0.03) * 2 >= 2", true),
    ] {
        assert_eq!(expr::eval_condition(&v, src).expect(src), want, "{src}");
    }
    let nan = Value::Float(f64::NAN);
    assert!(!expr::eval_condition(&nan, "result >= 0.9").expect("evaluates"));
    assert!(!expr::eval_condition(&nan, "result < 0.9").expect("evaluates"));
    assert!(expr::eval_condition(&nan, "isNaN(result)").expect("evaluates"));
}

/// The web provider against a local server answering each case of
/// `fixtures/conformance/rollouts/web-metric.jsonl` (Rollouts' `webmetric_test.go`).
#[tokio::test]
async fn web_metric_cases() {
    use ferry_health::analysis::web::{WebSpec, measure, parse_json_path};
    let all = ferry_test_support::conformance_cases("rollouts/web-metric.jsonl");
    assert_eq!(all.len(), 14);
    let client = reqwest::Client::new();
    for case in &all {
        let id = id(case);
        let status = case["http_status"].as_u64().expect("status");
        let body = case["http_body"].as_str().expect("body").to_owned();
        let addr =
            ferry_test_support::http::serve_answers(move |_| ferry_test_support::http::Answer {
                status: format!("{status} Status"),
                headers: Vec::new(),
                body: body.clone(),
            });
        let path = match case["jsonPath"].as_str().expect("jsonPath") {
            "" => Vec::new(),
            p => parse_json_path(p).expect(id),
        };
        let spec = WebSpec {
            url: format!("http://{addr}/metric"),
            method: "GET".to_owned(),
            headers: Vec::new(),
            body: None,
            timeout: std::time::Duration::from_secs(5),
            path,
        };
        let conditions = Conditions::parse(
            case["successCondition"].as_str().expect("success"),
            case["failureCondition"].as_str().expect("failure"),
        )
        .expect(id);
        let (phase, value, message) = measure(&client, &spec, &conditions).await;
        assert_eq!(phase.as_str(), case["expected_phase"], "{id}: {message:?}");
        assert_eq!(value, case["expected_value"], "{id}");
        if let Some(m) = case["expected_message"].as_str() {
            assert_eq!(message.as_deref(), Some(m), "{id}");
        }
    }
}
