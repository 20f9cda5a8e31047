"""What the report reads from the ledger: `campaign.report_entries`."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from mailflow import campaign, members, pipeline
from mailflow.config import Settings
from mailflow.ledger import Ledger, sync_campaign


def deliver(settings: Settings, name: str, sender: str, body: str, minute: int) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "wsis@association.test"
    message["Subject"] = "WSIS contribution"
    message["Message-ID"] = f"<{name}@library.test>"
    message["Date"] = f"Mon, 08 Sep 2025 10:{minute:02d}:00 +0000"
    message.set_content(body)
    (Path(settings.imap.maildir) / "new" / name).write_bytes(message.as_bytes())


def test_report_entries_are_latest_accepted_versions_with_member_facts(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(
            session, ["a@library.test"], name="Ann", organisation="Library A", country="Chile"
        )
        members.upsert(
            session, ["b@library.test"], name="Bob", organisation="Library B", country="Peru"
        )
    deliver(
        settings,
        "1.a",
        "a@library.test",
        "Organisation: Old name\nAction lines: C3\nWhy: first version.\n",
        0,
    )
    pipeline.run_once(settings, ledger)
    deliver(
        settings,
        "2.b",
        "b@library.test",
        "Organisation: Own name\nCountry: Bolivia\nAction lines: C4, C8\n"
        "Why: reading rooms.\nOutputs: https://b.test/rooms\n",
        1,
    )
    deliver(settings, "3.a", "a@library.test", "Action lines: C3\nWhy: second version.\n", 2)
    pipeline.run_once(settings, ledger)

    with ledger.transaction() as session:
        entries = campaign.report_entries(session, sync_campaign(session, settings.campaign).id)

    assert [
        (
            e.organisation,
            e.country,
            e.roster_country,
            e.version,
            e.member_name,
            e.member_address,
            e.action_lines,
            e.links,
            e.fields.get("why"),
        )
        for e in entries
    ] == [
        (
            "Own name",
            "Bolivia",
            "Peru",
            1,
            "Bob",
            "b@library.test",
            ("C4", "C8"),
            ("https://b.test/rooms",),
            "reading rooms.",
        ),
        ("Library A", "", "Chile", 2, "Ann", "a@library.test", ("C3",), (), "second version."),
    ]
    assert [e.submission_id for e in entries] == sorted(e.submission_id for e in entries)
    assert all(e.received_at.tzinfo is not None for e in entries)


def test_report_entries_take_an_english_second_attachment_as_the_english_version(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["c@library.test"], name="Carla", organisation="", country="")
    message = EmailMessage()
    message["From"] = "c@library.test"
    message["To"] = "wsis@association.test"
    message["Subject"] = "Contribución WSIS"
    message["Message-ID"] = "<two-attachments@library.test>"
    message["Date"] = "Mon, 08 Sep 2025 10:00:00 +0000"
    message.set_content("Adjunto la contribución y su versión en inglés.")
    spanish = (
        "Organización: Biblioteca Municipal de Cusco\nPaís: Perú\nLíneas de acción: C3\n"
        "Por qué: Muchas familias no tienen acceso a internet en sus casas.\n"
    )
    english = (
        "Organisation: Cusco Municipal Library\nCountry: Peru\nAction lines: C3\n"
        "Why: Many families have no internet access at home.\n"
    )
    message.add_attachment(spanish.encode(), "text", "plain", filename="contribucion.txt")
    message.add_attachment(english.encode(), "text", "plain", filename="english.txt")
    (Path(settings.imap.maildir) / "new" / "1.c").write_bytes(message.as_bytes())
    pipeline.run_once(settings, ledger)

    with ledger.transaction() as session:
        [entry] = campaign.report_entries(session, sync_campaign(session, settings.campaign).id)

    assert (entry.language, entry.fields.get("why")) == (
        "es",
        "Muchas familias no tienen acceso a internet en sus casas.",
    )
    assert entry.member_english == english
