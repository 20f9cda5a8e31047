"""A member's further addresses: `members alias --add/--remove`, `members show`, and the import."""

from __future__ import annotations

from support.cli import Workspace

HELD = 11  # the sample's submission from someone@elsewhere.example.net, held as not_member
STRANGER = "someone@elsewhere.example.net"
ANNA = "a.lindqvist@lakeside-library.example.org"
DANA = "dwhitfield@oakridge-library.example.org"
ANNA_NAMED = f"Anna Lindqvist <{ANNA}>"

AGAIN = (
    f"From: Someone <{STRANGER}>\r\nTo: wsis@association.test\r\n"
    "Subject: Our contribution, corrected\r\nMessage-ID: <again@elsewhere.example.net>\r\n"
    "Date: Tue, 16 Sep 2025 09:00:00 +0000\r\n\r\n"
    "Action lines: C3\r\nWhy: our e-book lending reaches remote readers. "
    "https://elsewhere.example.net/ebooks\r\n"
)


def _polled(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")


# -- adding --------------------------------------------------------------------------------------
def test_members_alias_add_gives_the_member_the_address_and_links_its_held_mail(
    ws: Workspace,
) -> None:
    _polled(ws)

    out = ws.ok("members", "alias", ANNA, "--add", "Someone@Elsewhere.example.net")
    shown = ws.json("submissions", "show", str(HELD))

    assert out == (
        f"added {STRANGER} to {ANNA_NAMED}\n"
        f"addresses: {ANNA}, {STRANGER}\n"
        f"submission {HELD} is now linked to this member; decide on it with "
        f"`mailflow review {HELD} --accept` or `--reject`\n"
    )
    assert (shown["status"], shown["member_name"]) == ("held", "Anna Lindqvist")


def test_members_alias_add_an_address_the_member_has_changes_nothing_and_says_so(
    ws: Workspace,
) -> None:
    ws.ok("members", "add", "hoa@members.test", "--alias", "hoa@gmail.test", "--name", "Hoa")

    out = ws.ok("members", "alias", "hoa@members.test", "--add", "hoa@gmail.test")

    assert out == (
        "Hoa <hoa@members.test> already has hoa@gmail.test\n"
        "addresses: hoa@members.test, hoa@gmail.test\n"
    )


def test_members_alias_add_another_members_address_is_exit_1_naming_that_member(
    ws: Workspace,
) -> None:
    ws.ok("members", "import", "members.csv")

    result = ws.run("members", "alias", DANA, "--add", ANNA)

    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {ANNA} is an address of another member, {ANNA_NAMED}; take it from them first "
        f"with `mailflow members alias {ANNA} --remove {ANNA}`\n",
    )
    assert ws.json("members", "show", DANA)["addresses"] == [DANA]


def test_members_add_joining_two_members_addresses_is_refused(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")
    ws.ok("members", "add", "minh@members.test", "--name", "Minh")

    result = ws.run("members", "add", "minh@members.test", "--alias", "hoa@members.test")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: hoa@members.test is an address of another member, Hoa <hoa@members.test>; take "
        "it from them first with `mailflow members alias hoa@members.test --remove "
        "hoa@members.test`\n",
    )
    assert [m["addresses"] for m in ws.json("members", "list")] == [
        ["hoa@members.test"],
        ["minh@members.test"],
    ]


def test_members_alias_json_says_what_changed(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")

    done = ws.json("members", "alias", "hoa@members.test", "--add", "hoa@gmail.test")

    assert done == {
        "member_id": 1,
        "member": "Hoa <hoa@members.test>",
        "email": "hoa@members.test",
        "aliases": ["hoa@gmail.test"],
        "addresses": ["hoa@members.test", "hoa@gmail.test"],
        "changed": ["hoa@gmail.test"],
        "unchanged": [],
        "relinked_submissions": [],
        "new_primary": False,
    }


# -- removing ------------------------------------------------------------------------------------
def test_members_alias_remove_keeps_the_addresses_submissions_with_the_member(
    ws: Workspace,
) -> None:
    _polled(ws)
    ws.ok("members", "alias", ANNA, "--add", STRANGER)
    ws.ok("review", str(HELD), "--accept")

    out = ws.ok("members", "alias", ANNA, "--remove", STRANGER)
    shown = ws.json("submissions", "show", str(HELD))
    member = ws.json("members", "show", ANNA)

    assert out == (
        f"removed {STRANGER} from {ANNA_NAMED}\n"
        "submissions sent from it stay with the member; new mail from it will be held as a "
        "non-member's\n"
        f"addresses: {ANNA}\n"
    )
    assert (shown["status"], shown["member"], shown["member_name"]) == (
        "accepted",
        STRANGER,
        "Anna Lindqvist",
    )
    assert member["addresses"] == [ANNA]
    assert [(s["id"], s["from"]) for s in member["submissions"]] == [
        (1, ANNA),
        (HELD, STRANGER),
        (12, ANNA),
    ]


def test_a_removed_alias_that_writes_again_is_held_as_a_non_member(ws: Workspace) -> None:
    _polled(ws)
    ws.ok("members", "alias", ANNA, "--add", STRANGER)
    ws.ok("members", "alias", ANNA, "--remove", STRANGER)
    (ws.path / "Maildir" / "new" / "1758000099.again").write_text(AGAIN, encoding="utf-8")
    sent_before = len(ws.json("outbox", "list"))

    ws.ok("poll")
    [newest] = [s for s in ws.json("submissions", "list", "--all") if s["id"] == 13]

    earlier = ws.json("submissions", "show", str(HELD))

    assert (newest["member"], newest["member_name"], newest["status"]) == (STRANGER, "", "held")
    assert [i["code"] for i in newest["issues"] if i["severity"] == "hold"] == ["not_member"]
    assert len(ws.json("outbox", "list")) == sent_before  # a stranger is not answered
    assert (earlier["status"], earlier["member_name"]) == ("held", "Anna Lindqvist")


def test_members_alias_remove_the_primary_makes_the_next_address_primary(
    ws: Workspace,
) -> None:
    ws.ok("members", "add", "hoa@old.test", "--alias", "hoa@new.test", "--name", "Hoa")

    out = ws.ok("members", "alias", "hoa@new.test", "--remove", "hoa@old.test")
    call = ws.json("call", "--dry-run")

    assert out == (
        "removed hoa@old.test from Hoa <hoa@new.test>\n"
        "submissions sent from it stay with the member; new mail from it will be held as a "
        "non-member's\n"
        "hoa@new.test is now the primary address: calls and reminders go to it\n"
        "addresses: hoa@new.test\n"
    )
    assert [r["address"] for r in call["recipients"]] == ["hoa@new.test"]


def test_members_alias_remove_the_last_address_is_exit_1(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")

    result = ws.run("members", "alias", "hoa@members.test", "--remove", "HOA@members.test")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: Hoa <hoa@members.test> would have no address left; a member keeps at least one "
        "(add the new one first with `mailflow members alias hoa@members.test --add OTHER`, or "
        "stop mail to them with `mailflow members deactivate hoa@members.test`)\n",
    )
    assert ws.json("members", "show", "hoa@members.test")["addresses"] == ["hoa@members.test"]


def test_members_alias_remove_an_address_not_the_members_is_exit_1_naming_whose(
    ws: Workspace,
) -> None:
    ws.ok("members", "import", "members.csv")

    taken = ws.run("members", "alias", DANA, "--remove", ANNA)
    nobodys = ws.run("members", "alias", DANA, "--remove", "x@nowhere.test")

    assert (taken.exit_code, taken.stderr) == (
        1,
        f"Error: {ANNA} is not an address of Dana Whitfield <{DANA}> (it is an address of "
        f"{ANNA_NAMED}); their addresses: {DANA}\n",
    )
    assert (nobodys.exit_code, nobodys.stderr) == (
        1,
        f"Error: x@nowhere.test is not an address of Dana Whitfield <{DANA}> (nobody has it); "
        f"their addresses: {DANA}\n",
    )


def test_members_alias_of_an_unknown_member_is_exit_1_saying_how_to_add_one(
    ws: Workspace,
) -> None:
    result = ws.run("members", "alias", "nobody@x.test", "--add", "other@x.test")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no member with address nobody@x.test; add one with `mailflow members add "
        'nobody@x.test --name "…"`\n',
    )


def test_members_alias_needs_exactly_one_of_add_and_remove(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")

    neither = ws.run("members", "alias", "hoa@members.test")
    both = ws.run(
        "members", "alias", "hoa@members.test", "--add", "a@x.test", "--remove", "b@x.test"
    )

    assert (neither.exit_code, both.exit_code) == (2, 2)
    assert neither.stderr.endswith("Error: give --add OTHER or --remove OTHER (one of them)\n")
    assert both.stderr == neither.stderr


def test_members_alias_add_not_an_address_is_a_usage_error(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")

    result = ws.run("members", "alias", "hoa@members.test", "--add", "not an address")

    assert result.exit_code == 2
    assert result.stderr.endswith("Error: not a mail address: 'not an address'\n")


# -- showing -------------------------------------------------------------------------------------
def test_members_show_by_an_alias_shows_primary_aliases_and_submissions(ws: Workspace) -> None:
    _polled(ws)
    ws.ok("members", "alias", ANNA, "--add", STRANGER)

    out = ws.ok("members", "show", STRANGER.upper())

    assert out == (
        "name:         Anna Lindqvist\n"
        "organisation: Lakeside Public Library\n"
        "country:      Sweden\n"
        "language:     en\n"
        "state:        active\n"
        f"address:      {ANNA}\n"
        f"aliases:      {STRANGER}\n"
        "submissions:\n"
        f"  1  superseded  v1  from {ANNA}\n"
        f"  {HELD}  held  v1  from {STRANGER}\n"
        f"  12  accepted  v2  from {ANNA}\n"
    )


def test_members_list_shows_the_primary_address_and_the_aliases(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--alias", "hoa@gmail.test", "--name", "Hoa")

    lines = ws.ok("members", "list").splitlines()
    [member] = ws.json("members", "list")

    assert lines == [
        "address\taliases\tname\torganisation\tcountry\tlanguage\tstate",
        "hoa@members.test\thoa@gmail.test\tHoa\t\t\t-\tactive",
    ]
    assert (member["email"], member["aliases"], member["addresses"]) == (
        "hoa@members.test",
        ["hoa@gmail.test"],
        ["hoa@members.test", "hoa@gmail.test"],
    )


def test_members_show_of_an_unknown_address_is_exit_1(ws: Workspace) -> None:
    result = ws.run("members", "show", "nobody@x.test")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no member with address nobody@x.test; add one with `mailflow members add "
        'nobody@x.test --name "…"`\n',
    )


# -- the import ----------------------------------------------------------------------------------
def test_import_adds_an_alias_and_keeps_addresses_the_file_does_not_list(ws: Workspace) -> None:
    ws.ok("members", "add", "hoa@members.test", "--alias", "hoa@old.test", "--name", "Hoa")
    ws.write("roster.csv", "email,name,aliases\nhoa@members.test,Hoa,hoa@gmail.test\n")

    dry = ws.ok("members", "import", "roster.csv", "--dry-run")
    [change] = ws.json("members", "import", "roster.csv", "--dry-run")["changes"]
    unchanged = ws.json("members", "show", "hoa@members.test")["addresses"]
    ws.ok("members", "import", "roster.csv")

    assert dry == (
        "would update line 2: Hoa <hoa@members.test, hoa@gmail.test>; new address: "
        "hoa@gmail.test\n"
        "line 2: Hoa keeps hoa@old.test, which the file does not list\n"
        "an import never removes an address; remove one with "
        "`mailflow members alias ADDRESS --remove OTHER`\n"
        "0 would be added, 1 would be updated, 0 unchanged; nothing changed (dry run)\n"
    )
    assert (change["new_addresses"], change["kept"]) == (["hoa@gmail.test"], ["hoa@old.test"])
    assert unchanged == ["hoa@members.test", "hoa@old.test"]
    assert ws.json("members", "show", "hoa@members.test")["addresses"] == [
        "hoa@members.test",
        "hoa@old.test",
        "hoa@gmail.test",
    ]


def test_import_an_alias_of_another_member_refuses_the_file_naming_line_and_member(
    ws: Workspace,
) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")
    ws.ok("members", "add", "minh@members.test", "--name", "Minh")
    ws.write(
        "roster.csv",
        "email,name,aliases\nnew@members.test,New,\nminh@members.test,Minh,hoa@members.test\n",
    )

    result = ws.run("members", "import", "roster.csv", "--dry-run")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: roster.csv: 1 row cannot be imported, so nothing was:\n"
        "  line 3: hoa@members.test is an address of another member, Hoa <hoa@members.test>; "
        "take it from them first with `mailflow members alias hoa@members.test --remove "
        "hoa@members.test`\n",
    )
    assert [m["addresses"] for m in ws.json("members", "list")] == [
        ["hoa@members.test"],
        ["minh@members.test"],
    ]


def test_an_address_moved_to_another_member_leaves_its_contribution_with_the_first(
    ws: Workspace,
) -> None:
    _polled(ws)
    ws.ok("members", "alias", ANNA, "--add", STRANGER)
    ws.ok("review", str(HELD), "--accept")
    ws.ok("members", "alias", ANNA, "--remove", STRANGER)
    ws.ok("members", "alias", DANA, "--add", STRANGER)

    reminded = ws.json("remind", "--dry-run")

    # The contribution from the address is Anna's: Dana still owes one, Louise a revision.
    assert [r["address"] for r in reminded["recipients"]] == [
        "l.tremblay@greenfield-libraries.example.ca",
        DANA,
    ]
    assert ws.json("submissions", "show", str(HELD))["member_name"] == "Anna Lindqvist"


def test_a_note_from_a_removed_address_stays_with_the_submission_it_follows(
    ws: Workspace,
) -> None:
    ws.ok("members", "add", "hoa@members.test", "--alias", "hoa@gmail.test", "--name", "Hoa")
    mail = "From: Hoa <hoa@gmail.test>\r\nTo: wsis@association.test\r\nSubject: {subject}\r\n"
    mail += "Message-ID: <{n}@gmail.test>\r\nDate: {date}\r\n\r\n{body}\r\n"
    contribution = mail.format(
        subject="WSIS",
        n=1,
        date="Mon, 15 Sep 2025 09:00:00 +0000",
        body="Action lines: C3\r\nWhy: we lend e-readers. https://lib.example.org",
    )
    note = mail.format(
        subject="Re: WSIS", n=2, date="Tue, 16 Sep 2025 09:00:00 +0000", body="Thanks!"
    )
    (ws.path / "Maildir" / "new" / "1758000101.contribution").write_text(contribution)
    ws.ok("poll")
    (ws.path / "Maildir" / "new" / "1758000102.note").write_text(note)
    ws.ok("poll")
    [sub] = [s for s in ws.json("submissions", "list") if s["member"] == "hoa@gmail.test"]

    ws.ok("members", "alias", "hoa@members.test", "--remove", "hoa@gmail.test")
    shown = ws.json("submissions", "show", str(sub["id"]))

    assert [(m["direction"], m.get("kind")) for m in shown["mail"] if m["direction"] == "in"] == [
        ("in", "contribution"),
        ("in", "member_note"),
    ]
