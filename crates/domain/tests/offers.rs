//! The actions offered on a matter's page are the actions the workflow takes: over generated histories,
//! every command the workflow accepts was offered to its actor just before, and nothing is offered that
//! the workflow refuses.

use chrono::{TimeZone, Utc};
use xinfang_domain::fixtures::{History, varied_histories};
use xinfang_domain::offers::{offer_code, offered};
use xinfang_domain::rules::Rules;
use xinfang_domain::workflow::{Command, Ctx, decide};

/// The commands the matter page offers through its forms (registration, link decisions and documents
/// have their own screens).
fn offered_on_the_page(c: &Command) -> bool {
    !matches!(
        c,
        Command::Register { .. } | Command::ReviewLink { .. } | Command::IssueDocument { .. }
    )
}

#[test]
fn every_accepted_action_was_offered_and_every_offer_is_accepted() {
    let day0 = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
    let (_, steps) = varied_histories(day0, 40, 7);
    let mut history = History::new(Rules::default());
    let mut accepted_kinds = std::collections::BTreeSet::new();
    let mut offers_checked = 0;
    for (who, at, command) in steps {
        let before = history.matters.get(command.matter()).cloned();
        if let Some(m) = &before {
            let ctx = Ctx {
                principal: &who,
                at,
                org: &history.org,
                rules: &history.rules,
                calendar: &history.calendar,
            };
            let offers = offered(m, &ctx);
            for offer in &offers {
                assert!(
                    decide(Some(m), offer, &ctx).is_ok(),
                    "offered but refused: {offer:?}"
                );
                offers_checked += 1;
            }
            let accepted = decide(Some(m), &command, &ctx).is_ok();
            if accepted && offered_on_the_page(&command) {
                let code = offer_code(&command);
                let codes: Vec<String> = offers.iter().map(offer_code).collect();
                // Closing an order is offered per open order; the order's id is in the code.
                assert!(
                    codes.contains(&code),
                    "{} accepted from {} on {} but not offered (offered: {codes:?})",
                    code,
                    who.user,
                    m.id
                );
                accepted_kinds.insert(code.split('.').next().unwrap().to_owned());
            }
        }
        let _ = history.run(&who, at, command);
    }
    // The histories reach the main line's actions, so the check above was not vacuous.
    for kind in [
        "triage",
        "accept",
        "request_extension",
        "answer",
        "evaluate",
    ] {
        assert!(
            accepted_kinds.contains(kind),
            "no accepted {kind} in the histories: {accepted_kinds:?}"
        );
    }
    assert!(offers_checked > 100, "only {offers_checked} offers checked");
}

#[test]
fn triage_suggests_the_unit_competent_for_the_domain_first() {
    use xinfang_domain::Role;
    use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_LABOUR, draft, staff};
    use xinfang_domain::ids::{MatterId, UnitId};
    use xinfang_domain::offers::triage_targets;
    use xinfang_domain::workflow::Filing;

    let mut history = History::new(Rules::default());
    let labour = UnitId::parse(DISTRICT_LABOUR).unwrap();
    let mut unit = history.org.unit(&labour).unwrap().clone();
    unit.domains = vec!["劳动和社会保障".into()];
    history.org.insert_unit(unit);
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
    let id = MatterId::parse("XF-R1").unwrap();
    history.ok(
        &staff(DISTRICT_BUREAU, Role::Registrar),
        at,
        Command::Register {
            filing: Filing::NewMatter { matter: id.clone() },
            contact: Box::new(draft("C-R1", at)),
        },
    );
    let m = &history.matters[&id];
    let targets = triage_targets(m, &history.org);
    assert_eq!(
        targets[0].id, labour,
        "the wages matter goes to labour first"
    );
    // Without the rule, another unit of the district comes first (by id).
    let mut plain = history.org.clone();
    let mut unit = plain.unit(&labour).unwrap().clone();
    unit.domains.clear();
    plain.insert_unit(unit);
    assert_ne!(triage_targets(m, &plain)[0].id, labour);
}
