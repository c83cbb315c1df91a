//! Search that finds: customers by the start of a name or e-mail (Chinese
//! included, any case), tickets and transactions by their number with or
//! without its prefix.

use crate::desk_tickets::{agent_actor, customer_with_payment, desk, new_ticket, open_ticket};
use crate::helpers::*;
use redress::platform::customers::{CustomerRecord, upsert_customer};

fn customer(app: &TestApp, reference: &str, name: &str, email: &str) {
    upsert_customer(
        &mut app.db.conn(),
        reference,
        &CustomerRecord {
            email: email.to_owned(),
            name: name.to_owned(),
            phone: None,
            locale: "en".to_owned(),
        },
    )
    .expect("the customer is stored");
}

fn found_customers(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.page(&format!(
        "/agent/customers?q={}",
        redress_test_encode(query)
    ));
    select(&page, "#customers tbody tr td:first-child")
        .into_iter()
        .map(text_of)
        .collect()
}

fn redress_test_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn customers_are_found_by_the_start_of_their_name_or_email() -> TestResult {
    let app = desk();
    customer(&app, "CU-S1", "Isabella Chen", "isabella.chen@example.com");
    customer(&app, "CU-S2", "Isaac Newton", "apple@example.org");
    customer(&app, "CU-S3", "孙伟", "sunwei@example.cn");
    customer(&app, "CU-S4", "孙丽华", "lihua@example.cn");
    customer(&app, "CU-S5", "王芳", "wangfang@example.cn");
    assert_eq!(found_customers(&app, "isabella"), ["Isabella Chen"]);
    assert_eq!(
        found_customers(&app, "ISA"),
        ["Isaac Newton", "Isabella Chen"]
    );
    assert_eq!(found_customers(&app, "孙"), ["孙丽华", "孙伟"]);
    assert_eq!(found_customers(&app, "孙伟"), ["孙伟"]);
    assert_eq!(found_customers(&app, "apple@"), ["Isaac Newton"]);
    assert_eq!(found_customers(&app, "Sunwei@Example"), ["孙伟"]);
    assert_eq!(found_customers(&app, "CU-S5"), ["王芳"]);
    assert!(
        found_customers(&app, "chen").is_empty(),
        "a prefix, not a part"
    );
    assert!(found_customers(&app, "zzz").is_empty());
    // Many matches: the first fifty, said so.
    for n in 0..55 {
        customer(
            &app,
            &format!("CU-M{n}"),
            &format!("Many {n:02}"),
            &format!("many{n}@example.com"),
        );
    }
    let page = app.page("/agent/customers?q=many");
    assert_eq!(select(&page, "#customers tbody tr").len(), 50);
    assert!(!select(&page, "#more-customers").is_empty());
    Ok(())
}

#[test]
fn tickets_and_transactions_are_found_with_or_without_their_prefix() -> TestResult {
    let app = desk();
    customer_with_payment(&app, 1, "TX20261118000042", "CNY");
    let bo = agent_actor(&app, "bo@example.com");
    let id = open_ticket(&app, &bo, new_ticket(1, "Found by number"));
    let listed = |query: &str| -> Vec<String> {
        let page = app.page(&format!(
            "/agent/tickets?view=all_open&q={}",
            redress_test_encode(query)
        ));
        select(&page, "#queue tbody tr")
            .into_iter()
            .filter_map(|row| row.value().attr("data-ticket").map(str::to_owned))
            .collect()
    };
    let reference = id.reference();
    assert_eq!(listed(&reference), vec![reference.clone()]);
    assert_eq!(
        listed(&id.0.to_string()),
        vec![reference.clone()],
        "a bare number"
    );
    assert_eq!(
        listed(&format!("{:06}", id.0)),
        vec![reference.clone()],
        "zero-padded"
    );
    assert!(listed("999999").is_empty());
    // A transaction by its reference, in any case, with or without TX.
    for query in ["TX20261118000042", "tx20261118000042", "20261118000042"] {
        let response = app.get(&format!("/agent/transactions?q={query}"));
        assert_eq!(response.status(), 303, "{query}");
        assert_eq!(
            location(&response),
            "/agent/transactions/TX20261118000042",
            "{query}"
        );
    }
    assert_eq!(
        app.get("/agent/transactions?q=20261118000043").status(),
        200
    );
    Ok(())
}
