//! The documents of brief §7: every default template fits its kind, bad templates are refused when set,
//! and each document is issued only at its step, by its unit, with the matter's facts in its text.

use chrono::{DateTime, TimeZone, Utc};
use xinfang_domain::documents::{DocumentKind, DocumentNumber, DocumentRequest, Template};
use xinfang_domain::event::EventBody;
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, UnitId};
use xinfang_domain::org::OrgCommand;
use xinfang_domain::rules::Rules;
use xinfang_domain::workflow::{Filing, Triage};
use xinfang_domain::{Command, Principal, Role, WorkflowError};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 1, 0, 0).unwrap()
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn xf1() -> MatterId {
    MatterId::parse("XF-1").unwrap()
}

fn request(kind: DocumentKind) -> DocumentRequest {
    DocumentRequest {
        kind,
        about: None,
        reason: None,
        petitioner_names: vec!["张建国".into()],
        query_code: None,
    }
}

fn issue(
    h: &mut History,
    who: &Principal,
    when: DateTime<Utc>,
    req: DocumentRequest,
) -> Result<xinfang_domain::documents::IssuedDocument, WorkflowError> {
    let events = h.run(
        who,
        when,
        Command::IssueDocument {
            matter: xf1(),
            request: req,
        },
    )?;
    match events.into_iter().next() {
        Some(EventBody::DocumentIssued { document, .. }) => Ok(*document),
        other => panic!("not a document: {other:?}"),
    }
}

/// XF-1 registered on 3 March 2025 by the district bureau and sent to the labour bureau.
fn transferred() -> History {
    let mut h = History::new(Rules::default());
    h.ok(
        &staff(DISTRICT_BUREAU, Role::Registrar),
        at(2025, 3, 3),
        Command::Register {
            filing: Filing::NewMatter { matter: xf1() },
            contact: Box::new(fixtures::draft("C-1", at(2025, 3, 3))),
        },
    );
    h.ok(
        &staff(DISTRICT_BUREAU, Role::Dispatcher),
        at(2025, 3, 5),
        Command::Triage {
            matter: xf1(),
            triage: Triage::Transfer {
                to: unit(DISTRICT_LABOUR),
                co_handlers: vec![],
            },
        },
    );
    h
}

#[test]
fn every_default_template_fits_its_kind() {
    for kind in DocumentKind::ALL {
        kind.default_template()
            .check(kind)
            .unwrap_or_else(|e| panic!("{}: {e}", kind.label()));
    }
}

#[test]
fn a_template_naming_a_variable_its_kind_lacks_is_refused_on_the_field() {
    let mut t = DocumentKind::AcceptanceNotice.default_template();
    t.body = "请于{{ answer_deadline }}前答复".into();
    match t.check(DocumentKind::AcceptanceNotice) {
        Err(WorkflowError::Invalid { field, message }) => {
            assert_eq!(field, "body");
            assert!(message.contains("answer_due"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A slip to a unit has no petitioner to name: identity stays in the system, behind its rules.
    let mut t = DocumentKind::TransferSlip.default_template();
    t.addressee = "{{ petitioner }}：".into();
    assert!(matches!(
        t.check(DocumentKind::TransferSlip),
        Err(WorkflowError::Invalid {
            field: "addressee",
            ..
        })
    ));
    let mut t = DocumentKind::Receipt.default_template();
    t.prefix = "信〔回〕".into();
    assert!(matches!(
        t.check(DocumentKind::Receipt),
        Err(WorkflowError::Invalid {
            field: "prefix",
            ..
        })
    ));
}

#[test]
fn numbers_read_as_official_documents_write_them() {
    let n = DocumentNumber {
        prefix: "上信受".into(),
        year: 2026,
        serial: 12,
    };
    assert_eq!(n.to_string(), "上信受〔2026〕12号");
}

#[test]
fn an_acceptance_notice_comes_after_acceptance_from_the_handling_unit() {
    let mut h = transferred();
    let labour = staff(DISTRICT_LABOUR, Role::Handler);
    match issue(
        &mut h,
        &labour,
        at(2025, 3, 6),
        request(DocumentKind::AcceptanceNotice),
    ) {
        Err(WorkflowError::Invalid {
            field: "kind",
            message,
        }) => {
            assert!(message.contains("尚未受理"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    h.ok(&labour, at(2025, 3, 10), Command::Accept { matter: xf1() });
    let bureau = staff(DISTRICT_BUREAU, Role::Dispatcher);
    assert!(matches!(
        issue(
            &mut h,
            &bureau,
            at(2025, 3, 10),
            request(DocumentKind::AcceptanceNotice)
        ),
        Err(WorkflowError::WrongUnit { .. })
    ));
    let d = issue(
        &mut h,
        &labour,
        at(2025, 3, 10),
        request(DocumentKind::AcceptanceNotice),
    )
    .unwrap();
    assert_eq!(d.title, "受理告知书");
    assert_eq!(d.addressee, "张建国：");
    assert_eq!(
        (d.number.year, d.number.serial),
        (2025, 0),
        "the store numbers it"
    );
    let text = d.paragraphs.join("\n");
    let due = h.matters[&xf1()].answer_due.unwrap();
    assert!(text.contains("2025年3月3日"), "{text}");
    assert!(
        text.contains(&xinfang_domain::documents::date_text(due)),
        "{text}"
    );
    assert_eq!(
        h.matters[&xf1()].documents.len(),
        1,
        "recorded on the matter"
    );
    // The slip goes to the unit, without the petitioner: the bureau issues it, not the labour bureau.
    let slip = issue(
        &mut h,
        &bureau,
        at(2025, 3, 10),
        request(DocumentKind::TransferSlip),
    )
    .unwrap();
    assert!(slip.petitioner_names.is_empty());
    assert!(!slip.paragraphs.join("").contains("张建国"));
    assert!(slip.addressee.contains("人力资源"), "{}", slip.addressee);
    assert!(matches!(
        issue(
            &mut h,
            &bureau,
            at(2025, 3, 10),
            request(DocumentKind::AssignmentSlip)
        ),
        Err(WorkflowError::Invalid { field: "kind", .. })
    ));
}

#[test]
fn an_extension_notice_needs_an_approved_extension() {
    let mut h = transferred();
    let labour = staff(DISTRICT_LABOUR, Role::Handler);
    h.ok(&labour, at(2025, 3, 10), Command::Accept { matter: xf1() });
    h.ok(
        &labour,
        at(2025, 4, 20),
        Command::RequestExtension {
            matter: xf1(),
            days: 30,
            reason: "需要调取社保缴费记录".into(),
        },
    );
    assert!(matches!(
        issue(
            &mut h,
            &labour,
            at(2025, 4, 20),
            request(DocumentKind::ExtensionNotice)
        ),
        Err(WorkflowError::Invalid { field: "kind", .. })
    ));
    h.ok(
        &staff(DISTRICT_LABOUR, Role::Leader),
        at(2025, 4, 21),
        Command::DecideExtension {
            matter: xf1(),
            approve: true,
            note: "同意".into(),
        },
    );
    let d = issue(
        &mut h,
        &labour,
        at(2025, 4, 22),
        request(DocumentKind::ExtensionNotice),
    )
    .unwrap();
    let text = d.paragraphs.join("\n");
    assert!(
        text.contains("需要调取社保缴费记录") && text.contains("30日"),
        "{text}"
    );
}

#[test]
fn a_unit_template_applies_below_it_and_goes_back_to_the_default_when_removed() {
    let mut h = transferred();
    let kind = DocumentKind::AcceptanceNotice;
    let mut custom = kind.default_template();
    custom.prefix = "区人社受".into();
    custom.body =
        "{{ petitioner }}反映的问题（{{ matter_id }}）已受理，{{ answer_due }}前答复。".into();
    let admin = fixtures::admin();
    let set = OrgCommand::SetTemplate {
        unit: unit(DISTRICT_LABOUR),
        kind,
        template: Some(custom.clone()),
    };
    assert!(matches!(
        h.org.decide(&set, &staff(DISTRICT_LABOUR, Role::Handler)),
        Err(WorkflowError::MissingRole { .. })
    ));
    for e in h.org.decide(&set, &admin).unwrap() {
        h.org.apply(&e);
    }
    assert_eq!(h.org.template(&unit(DISTRICT_LABOUR), kind), custom);
    assert_eq!(
        h.org.template(&unit(DISTRICT_HOUSING), kind),
        kind.default_template()
    );

    let labour = staff(DISTRICT_LABOUR, Role::Handler);
    h.ok(&labour, at(2025, 3, 10), Command::Accept { matter: xf1() });
    let d = issue(&mut h, &labour, at(2025, 3, 10), request(kind)).unwrap();
    assert_eq!(d.number.prefix, "区人社受");
    assert!(
        d.paragraphs[0].starts_with("张建国反映的问题（XF-1）已受理"),
        "{:?}",
        d.paragraphs
    );
    // Issued text is kept as issued: removing the template changes later documents only.
    let remove = OrgCommand::SetTemplate {
        unit: unit(DISTRICT_LABOUR),
        kind,
        template: None,
    };
    for e in h.org.decide(&remove, &admin).unwrap() {
        h.org.apply(&e);
    }
    assert_eq!(
        h.org.template(&unit(DISTRICT_LABOUR), kind),
        kind.default_template()
    );
    assert!(h.matters[&xf1()].documents[0].paragraphs[0].starts_with("张建国反映的问题"));
    let bad = OrgCommand::SetTemplate {
        unit: unit(DISTRICT_LABOUR),
        kind,
        template: Some(Template {
            body: "{{ 未知 }".into(),
            ..custom
        }),
    };
    assert!(matches!(
        h.org.decide(&bad, &admin),
        Err(WorkflowError::Invalid { field: "body", .. })
    ));
}

#[test]
fn letters_to_a_unit_need_a_bureau_over_it_and_a_reason() {
    let mut h = transferred();
    let supervisor = staff(DISTRICT_BUREAU, Role::Supervisor);
    let mut req = request(DocumentKind::RiskWarning);
    req.petitioner_names.clear();
    assert!(matches!(
        issue(&mut h, &supervisor, at(2025, 3, 20), req.clone()),
        Err(WorkflowError::Invalid {
            field: "reason",
            ..
        })
    ));
    req.reason = Some("近一个月同一小区重复反映增多".into());
    assert!(matches!(
        issue(
            &mut h,
            &staff(DISTRICT_HOUSING, Role::Supervisor),
            at(2025, 3, 20),
            req.clone()
        ),
        Err(WorkflowError::WrongUnit { .. })
    ));
    assert!(matches!(
        issue(
            &mut h,
            &staff(DISTRICT_BUREAU, Role::Handler),
            at(2025, 3, 20),
            req.clone()
        ),
        Err(WorkflowError::MissingRole { .. })
    ));
    let d = issue(&mut h, &supervisor, at(2025, 3, 20), req).unwrap();
    assert!(
        d.paragraphs
            .join("")
            .contains("近一个月同一小区重复反映增多")
    );
}
