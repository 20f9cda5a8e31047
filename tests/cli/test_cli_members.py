"""Members with several addresses, and a roster import that forgives real spreadsheets."""

from __future__ import annotations

from support.cli import Workspace

HELD = 11  # the sample's submission from someone@elsewhere.example.net, held as not_member
STRANGER = "someone@elsewhere.example.net"
ANNA = "a.lindqvist@lakeside-library.example.org"


def test_members_add_with_an_alias_lists_both_addresses(ws: Workspace) -> None:
    out = ws.ok(
        "members", "add", "hoa@members.test", "--alias", "Hoa.Alt@Gmail.test", "--name", "Hoa"
    )

    [member] = ws.json("members", "list")

    assert out == "added hoa@members.test, hoa.alt@gmail.test\n"
    assert member["addresses"] == ["hoa@members.test", "hoa.alt@gmail.test"]


def test_members_add_a_bad_alias_is_a_usage_error(ws: Workspace) -> None:
    result = ws.run("members", "add", "hoa@members.test", "--alias", "not an address")

    assert result.exit_code == 2
    assert result.stderr.endswith("Error: not a mail address: 'not an address'\n")
    assert ws.json("members", "list") == []


def test_adding_an_alias_relinks_the_senders_held_submission(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")

    out = ws.ok("members", "add", ANNA, "--alias", STRANGER)
    shown = ws.json("submissions", "show", str(HELD))

    assert out == (
        f"updated {ANNA}, {STRANGER}\n"
        f"submission {HELD} is now linked to this member; decide on it with "
        f"`mailflow review {HELD} --accept` or `--reject`\n"
    )
    assert (shown["status"], shown["member_name"]) == ("held", "Anna Lindqvist")
    assert shown["organisation"] == "Lakeside Public Library"


def test_review_accept_with_member_attaches_the_submission(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")

    out = ws.json("review", str(HELD), "--accept", "--member", ANNA, "--note", "her Gmail")
    shown = ws.json("submissions", "show", str(HELD))

    assert out == {"id": HELD, "status": "accepted", "confirmation": {"sent": 1}}
    assert (shown["member_name"], shown["organisation"]) == (
        "Anna Lindqvist",
        "Lakeside Public Library",
    )
    assert [(d["action"], d["note"]) for d in shown["decisions"]] == [
        ("attach_member", ""),
        ("accept", "her Gmail"),
    ]


def test_review_with_an_unknown_member_is_exit_1_saying_how_to_add_one(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")

    result = ws.run("review", str(HELD), "--accept", "--member", "nobody@x.test")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no member with address nobody@x.test; add one with "
        '`mailflow members add nobody@x.test --name "…"`, or give the sender\'s address to a '
        f"member with `mailflow members alias ADDRESS --add {STRANGER}`\n",
    )
    assert ws.json("submissions", "show", str(HELD))["status"] == "held"


def test_remind_skips_a_member_whose_accepted_contribution_came_from_an_alias(
    ws: Workspace,
) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")
    ws.ok("review", str(HELD), "--accept")  # accepted while the sender is nobody's address
    ws.ok("members", "add", "dwhitfield@oakridge-library.example.org", "--alias", STRANGER)

    reminded = ws.json("remind", "--dry-run")

    # Louise needs to revise; Dana's contribution came from her new alias.
    assert [r["address"] for r in reminded["recipients"]] == [
        "l.tremblay@greenfield-libraries.example.ca"
    ]


# -- import --------------------------------------------------------------------------------------
def test_import_semicolons_with_a_bom(ws: Workspace) -> None:
    ws.write(
        "roster.csv",
        "\ufeffemail;name;organisation;country;language\n"
        "hoa@members.test;Nguyễn Thị Hoa;Thư viện Hà Nội;Viet Nam;vi\n",
    )

    out = ws.ok("members", "import", "roster.csv")

    assert out == "1 added, 0 updated, 0 unchanged\n"
    [member] = ws.json("members", "list")
    assert (member["name"], member["organisation"], member["language"]) == (
        "Nguyễn Thị Hoa",
        "Thư viện Hà Nội",
        "vi",
    )


def test_import_tabs_and_an_aliases_column(ws: Workspace) -> None:
    ws.write(
        "roster.tsv",
        "email\tname\taliases\nhoa@members.test\tHoa\thoa@gmail.test, hoa@yahoo.test\n",
    )

    ws.ok("members", "import", "roster.tsv")

    [member] = ws.json("members", "list")
    assert member["addresses"] == ["hoa@members.test", "hoa@gmail.test", "hoa@yahoo.test"]


def test_import_windows_1252_warns_and_reads_the_accents(ws: Workspace) -> None:
    ws.write(
        "roster.csv",
        "email,name,organisation\nh.dubois@bm.test,Hélène Dubois,Bibliothèque\n",
        encoding="cp1252",
    )

    result = ws.run("members", "import", "roster.csv")

    assert result.exit_code == 0
    assert result.stderr == (
        "warning: roster.csv: not UTF-8; read as Windows-1252 (check accented names, or save as "
        '"CSV UTF-8")\n'
    )
    assert ws.json("members", "list")[0]["name"] == "Hélène Dubois"


def test_import_names_every_bad_line_and_imports_nothing(ws: Workspace) -> None:
    ws.write(
        "roster.csv",
        "email,name\n"
        "hoa@members.test,Hoa\n"
        ",No Address\n"
        "nameless@members.test,\n"
        "HOA@Members.test,Hoa again\n"
        "\n"
        "x@y,Bad\n",
    )

    result = ws.run("members", "import", "roster.csv")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: roster.csv: 3 rows cannot be imported, so nothing was:\n"
        "  line 3: no email\n"
        "  line 4: no name\n"
        "  line 5: hoa@members.test is also on line 2\n",
    )
    assert ws.json("members", "list") == []


def test_import_unknown_language_will_get_english(ws: Workspace) -> None:
    ws.write("roster.csv", "email,name,language\nk@members.test,Kai,de\nv@members.test,Vy,vi-VN\n")

    result = ws.run("members", "import", "roster.csv")

    assert result.exit_code == 0
    assert result.stderr == (
        "warning: mailflow cannot write in de; 1 member(s) will get English: k@members.test\n"
    )
    assert [m["language"] for m in ws.json("members", "list")] == ["de", "vi"]


def test_import_dry_run_shows_changes_and_reactivations_and_changes_nothing(
    ws: Workspace,
) -> None:
    ws.ok("members", "add", "hoa@members.test", "--name", "Hoa")
    ws.ok("members", "deactivate", "hoa@members.test")
    ws.write("roster.csv", "email,name\nhoa@members.test,Hoa\nnew@members.test,New\n")

    dry = ws.ok("members", "import", "roster.csv", "--dry-run")
    as_json = ws.json("members", "import", "roster.csv", "--dry-run")

    assert dry == (
        "would update line 2: Hoa <hoa@members.test> (made active again)\n"
        "would add line 3: New <new@members.test>\n"
        "1 would be added, 1 would be updated, 0 unchanged; nothing changed (dry run)\n"
        "would make Hoa <hoa@members.test> active again\n"
    )
    assert (as_json["added"], as_json["reactivated"], as_json["dry_run"]) == (
        1,
        ["Hoa <hoa@members.test>"],
        True,
    )
    assert [(m["addresses"], m["active"]) for m in ws.json("members", "list")] == [
        (["hoa@members.test"], False)
    ]
