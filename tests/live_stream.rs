//! The live stream (`GET /admin/api/events`, Server-Sent Events) over real HTTP: new SCIM
//! exchanges and site changes arrive within a blink, in batches at most ten a second, and a
//! client reconnecting with `Last-Event-ID` gets exactly what it missed.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use workbench_tests::idp::*;
use workbench_tests::{Admin, TestServer};

/// One server-sent event.
#[derive(Debug, Clone)]
struct Event {
    id: Option<String>,
    name: String,
    data: Value,
    /// When the client had it.
    at: Instant,
}

/// A subscription, read event by event.
struct Subscription {
    response: reqwest::Response,
    /// Bytes, not text: a chunk may end inside a character.
    buffer: Vec<u8>,
}

impl Subscription {
    async fn open(admin: &Admin, last_event_id: Option<&str>) -> Subscription {
        let mut request = admin
            .client
            .get(format!("{}/events", admin.base))
            .header("authorization", format!("Bearer {}", admin.token));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("the stream answers");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Subscription {
            response,
            buffer: Vec::new(),
        }
    }

    /// The next event (comments skipped), or `None` if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(std::str::from_utf8(&block).expect("UTF-8 events")) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .expect("the stream stays readable")
                .expect("the stream stays open");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Batches until `scim` exchanges and `changes` site changes have arrived (5 s at most).
    async fn collect(
        &mut self,
        scim: usize,
        changes: usize,
    ) -> (Vec<Value>, Vec<Value>, Vec<Event>) {
        let (mut exchanges, mut entries, mut events) = (Vec::new(), Vec::new(), Vec::new());
        while exchanges.len() < scim || entries.len() < changes {
            let event = self.next(Duration::from_secs(5)).await.unwrap_or_else(|| {
                panic!(
                    "only {} exchanges, {} changes",
                    exchanges.len(),
                    entries.len()
                )
            });
            assert_eq!(event.name, "batch", "{event:?}");
            exchanges.extend(
                event.data["scim_log"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            entries.extend(
                event.data["changes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            events.push(event);
        }
        (exchanges, entries, events)
    }
}

fn parse(block: &str) -> Option<Event> {
    let (mut id, mut name, mut data) = (None, String::from("message"), String::new());
    for line in block.lines() {
        match line.split_once(": ") {
            Some(("id", value)) => id = Some(value.to_owned()),
            Some(("event", value)) => name = value.to_owned(),
            Some(("data", value)) => data.push_str(value),
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(Event {
        id,
        name,
        data: serde_json::from_str(&data).expect("event data is JSON"),
        at: Instant::now(),
    })
}

fn seqs(exchanges: &[Value]) -> Vec<String> {
    exchanges
        .iter()
        .map(|e| e["seq"].as_str().expect("a seq").to_owned())
        .collect()
}

#[tokio::test]
async fn an_exchange_after_subscribing_arrives_within_500_ms_with_its_change() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let mut stream = Subscription::open(&admin, None).await;
    let ready = stream.next(Duration::from_secs(2)).await.expect("ready");
    assert_eq!(ready.name, "ready");
    assert_eq!(ready.id.as_deref(), ready.data["cursor"].as_str());

    for n in 0..5 {
        let name = format!("live{n}@example.com");
        let created = okta.post("/Users", &okta_user(&name)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let answered = Instant::now();
        let (exchanges, changes, events) = stream.collect(1, 1).await;
        let arrived = events.last().expect("an event").at;
        let waited = arrived.duration_since(answered);
        assert!(
            waited < Duration::from_millis(500),
            "arrived after {waited:?}"
        );
        assert_eq!(exchanges.len(), 1, "{exchanges:?}");
        assert_eq!(exchanges[0]["method"], "POST");
        assert_eq!(exchanges[0]["status"], 201);
        assert_eq!(exchanges[0]["resources"][0], created.body["id"]);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0]["action"], "user_created");
        assert_eq!(changes[0]["target_name"], name.as_str());
        assert_eq!(
            events.last().unwrap().id.as_deref(),
            events.last().unwrap().data["cursor"].as_str()
        );
    }
    // A graceful stop ends open streams instead of waiting for them.
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("the server stops with a stream open");
}

#[tokio::test]
async fn reconnecting_with_last_event_id_delivers_exactly_the_missed_entries() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let mut stream = Subscription::open(&admin, None).await;
    stream.next(Duration::from_secs(2)).await.expect("ready");
    let created = okta.post("/Users", &okta_user("before@example.com")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let (_, _, events) = stream.collect(1, 1).await;
    let last_seen = events.last().unwrap().id.clone().expect("batches have ids");
    drop(stream);

    // Missed while disconnected: 1,200 exchanges (more than one batch) and 1,197 changes.
    let missed_users = 1_197;
    for n in 0..missed_users {
        let created = okta
            .post("/Users", &okta_user(&format!("missed{n}@example.com")))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    for _ in 0..3 {
        assert_eq!(okta.get("/Nowhere").await.status, StatusCode::NOT_FOUND);
    }
    let missed = missed_users + 3;

    let mut stream = Subscription::open(&admin, Some(&last_seen)).await;
    let ready = stream.next(Duration::from_secs(2)).await.expect("ready");
    assert_eq!(ready.id.as_deref(), Some(last_seen.as_str()));
    let (exchanges, changes, events) = stream.collect(missed, missed_users).await;
    assert!(
        events.len() >= 2,
        "1,200 exchanges come in more than one batch"
    );
    // Exactly the missed ones: the log's newest `missed` exchanges, oldest first, once each.
    let export = admin
        .get(&format!("/exports/scim-log.ndjson?limit={missed}"))
        .await;
    let mut expected: Vec<String> = export
        .body
        .as_str()
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].to_string())
        .collect();
    expected.reverse();
    assert_eq!(seqs(&exchanges), expected);
    assert_eq!(changes.len(), missed_users);
    assert!(changes.iter().all(|c| c["action"] == "user_created"));
    assert_eq!(changes[0]["target_name"], "missed0@example.com");
    // Nothing more, nothing twice.
    assert!(stream.next(Duration::from_millis(400)).await.is_none());

    // `?after=` is the same position for clients that cannot send headers; nonsense is refused.
    let after = admin
        .client
        .get(format!(
            "{}/events?after={}",
            admin.base,
            events.last().unwrap().id.clone().unwrap()
        ))
        .header("authorization", format!("Bearer {}", admin.token))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    for bad in ["/events?after=yesterday", "/events?from=1-1"] {
        let refused = admin.get(bad).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            refused.body
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_burst_comes_in_batches_at_most_ten_a_second() {
    let server = TestServer::start().await;
    let admin = server.admin();
    let okta = server.provider("okta").await;
    let mut stream = Subscription::open(&admin, None).await;
    stream.next(Duration::from_secs(2)).await.expect("ready");
    let users = 400;
    let started = Instant::now();
    for n in 0..users {
        let created = okta
            .post("/Users", &okta_user(&format!("burst{n}@example.com")))
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let (exchanges, changes, events) = stream.collect(users, users).await;
    let elapsed = events.last().unwrap().at.duration_since(started);
    assert_eq!((exchanges.len(), changes.len()), (users, users));
    // At most one event per 100 ms, give or take the first one and scheduling.
    let allowed = (elapsed.as_millis() / 100) as usize + 2;
    assert!(
        events.len() <= allowed,
        "{} events in {elapsed:?}",
        events.len()
    );
    assert!(
        events.len() < users / 4,
        "{} events: not batched",
        events.len()
    );
    server.stop().await;
}
