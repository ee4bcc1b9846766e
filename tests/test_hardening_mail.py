"""Issue 15 (hardening, round two), part B: the send log, mail, full disks and configured values.

Each test reproduced its defect first. The mail tests talk to a real SMTP
server (aiosmtpd) on 127.0.0.1; the full-disk tests fill a small tmpfs
mounted for the test when they run as root, and otherwise make the one
function every writer goes through report ENOSPC.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SEEDS, run_cli
from fixtures_servers import Mailbox, MailServer, Received, running_smtp

from leaflets.delivery.addresses import address_problem, check_addresses, normalized_address
from leaflets.exceptions import MailError

pytest.importorskip("aiosmtpd")

CONDITION = ("-c", "hemifacial-spasm")


def email_config(port: int, extra: str = "", security: str = "none") -> str:
    """Return the demo's leaflets.toml with an [email] table for the test server."""
    demo = (REPO / "leaflets.toml").read_text("utf-8")
    return demo + f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n' + extra


@pytest.fixture
def make_built(make_workspace: Callable[..., Path], built_demo: Path) -> Callable[..., Path]:
    """Return a factory of demo workspaces whose PDFs are already built."""

    def factory(*, config: str | None = None, at: Path | None = None) -> Path:
        root = make_workspace(config=config)
        if at is not None:
            shutil.copytree(root, at, dirs_exist_ok=True)
            root = at
        shutil.copytree(built_demo, root / "build")
        return root

    return factory


# A disk that fills up.


class Disk:
    """A small folder that can be filled until writing fails with ENOSPC."""

    def __init__(self, folder: Path, real: bool, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.real = real
        self.monkeypatch = monkeypatch

    def fill(self) -> None:
        """Leave no byte free: every write of data fails from now on."""
        if not self.real:
            import leaflets.output

            def full(handle: int, data: bytes) -> None:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            self.monkeypatch.setattr(leaflets.output, "_write_fd", full)
            return
        chunk = b"\0" * 65536
        with (self.folder / ".filler").open("wb", buffering=0) as filler:
            while True:
                try:
                    filler.write(chunk)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    if len(chunk) == 1:
                        break
                    chunk = chunk[: len(chunk) // 2]


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], Disk]]:
    """Return a maker of tmpfs folders of a given size in KB (or simulated ones, not as root)."""
    mounted: list[Path] = []

    def make(size_kb: int) -> Disk:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        if os.geteuid() == 0:
            command = ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)]
            if subprocess.run(command, capture_output=True).returncode == 0:
                mounted.append(folder)
                return Disk(folder, True, monkeypatch)
        return Disk(folder, False, monkeypatch)

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# Item 2: the send log names no other file of the workspace.


@pytest.mark.parametrize(
    ("log", "why"),
    [
        (
            "data/hemifacial-spasm/en.md",
            "'data/hemifacial-spasm/en.md' must be a .jsonl file, like \"logs/sent.jsonl\": the "
            "send log is never content, configuration, a template, a catalog or an output",
        ),
        (
            "build/manifest.json",
            "'build/manifest.json' must be a .jsonl file, like \"logs/sent.jsonl\": the send log "
            "is never content, configuration, a template, a catalog or an output",
        ),
        (
            "leaflets.toml",
            "'leaflets.toml' must be a .jsonl file, like \"logs/sent.jsonl\": the send log is "
            "never content, configuration, a template, a catalog or an output",
        ),
        (
            "data/sent.jsonl",
            "'data/sent.jsonl' is inside build.data_dir ('data'): keep the send log apart, "
            'like "logs/sent.jsonl"',
        ),
        (
            "build/sent.jsonl",
            "'build/sent.jsonl' is inside build.output_dir ('build'): keep the send log apart, "
            'like "logs/sent.jsonl"',
        ),
        (
            "locales/sent.jsonl",
            "'locales/sent.jsonl' is inside the theme folder 'locales' ('locales'): keep the "
            'send log apart, like "logs/sent.jsonl"',
        ),
        (
            "notes.jsonl",
            "'notes.jsonl' exists and is not a send log: choose a new file for the log",
        ),
        (
            "linked.jsonl",
            "'linked.jsonl' must be a .jsonl file, like \"logs/sent.jsonl\": the send log is "
            "never content, configuration, a template, a catalog or an output",
        ),
    ],
)
def test_the_send_log_cannot_be_another_file_of_the_workspace(
    make_workspace: Callable[..., Path], log: str, why: str
) -> None:
    config = email_config(25, f'log = "{log}"\nlog_recipients = true\n')
    root = make_workspace(config=config, files={"notes.jsonl": '{"todo": "call Mario"}\n'})
    (root / "linked.jsonl").symlink_to(root / "leaflets.toml")
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    line = config.splitlines().index(f'log = "{log}"') + 1
    result = run_cli("check", "-C", root)
    assert result.exit_code == 2
    assert result.stderr == f"Error: leaflets.toml:{line}: email.log: {why}\n"
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


def test_an_existing_send_log_and_a_new_one_are_accepted(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port, 'log = "logs/sent.jsonl"\n'))
    for _ in range(2):  # New, then existing.
        result = run_cli("email", "-C", root, *CONDITION, "-l", "en", "--to", "a@example.org")
        assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (root / "logs/sent.jsonl").read_text().splitlines()]
    assert [record["status"] for record in records] == ["sent", "sent"]


# Item 4: a message the server stored but did not confirm in time.


class SlowToConfirm(Mailbox):
    """Stores the message, then waits longer than the client's timeout before replying."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        await asyncio.sleep(3)
        return "250 Message accepted for delivery"


def test_a_message_received_but_not_confirmed_may_have_been_delivered(
    make_built: Callable[..., Path],
) -> None:
    mailbox = SlowToConfirm()
    with running_smtp(mailbox) as server:
        extra = 'timeout = 1\nlog = "sent.jsonl"\nlog_recipients = true\n'
        root = make_built(config=email_config(server.port, extra))
        result = run_cli("email", "-C", root, *CONDITION, "-l", "en", "--to", "mario@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the mail server 127.0.0.1:{server.port} received the whole message for "
        "mario@example.org but did not confirm it within 1 s: it may have been delivered "
        "(recorded as unconfirmed in the send log); ask the patient before sending it again\n"
    )
    assert "nothing was sent" not in result.output
    (received,) = mailbox.received
    (record,) = [json.loads(line) for line in (root / "sent.jsonl").read_text().splitlines()]
    assert record["status"] == "unconfirmed"
    assert record["recipients"] == ["mario@example.org"]
    assert record["message_id"] == received.message["Message-ID"]


# Item 5: a full disk.


def test_a_full_disk_after_sending_keeps_the_send_and_says_the_log_line_is_missing(
    make_built: Callable[..., Path], small_disk: Callable[[int], Disk], smtp_server: MailServer
) -> None:
    disk = small_disk(4096)
    config = email_config(smtp_server.port, 'log = "sent.jsonl"\n')
    root = make_built(config=config, at=disk.folder / "ws")
    disk.fill()
    result = run_cli("email", "-C", root, *CONDITION, "-l", "en", "--to", "a@example.org")
    assert result.exit_code == 0  # Sent: trying again would send it twice.
    assert result.stdout.splitlines()[-1] == "sent to a@example.org"
    message_id = smtp_server.mailbox.received[0].message["Message-ID"]
    assert result.stderr == (
        "Warning: sent.jsonl: cannot be written (No space left on device); nothing was "
        f"changed: the send log misses this message ({message_id}); add it by hand\n"
    )
    assert (root / "sent.jsonl").read_bytes() == b""  # No half line.


def test_a_full_disk_during_init_leaves_nothing_and_init_can_run_again(
    small_disk: Callable[[int], Disk], tmp_path: Path
) -> None:
    disk = small_disk(32)  # The demo's data and assets take about 36 KB.
    if not disk.real:
        pytest.skip("needs a real small disk (run as root to mount a tmpfs)")
    target = disk.folder / "clinic"
    result = run_cli("init", target)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {target}: cannot create the workspace (No space left on device); "
        "nothing was created\n"
    )
    assert list(disk.folder.iterdir()) == []
    result = run_cli("init", tmp_path / "clinic")  # Elsewhere, with room: it works.
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clinic/leaflets.toml").stat().st_size > 0


def test_a_full_disk_during_import_leaves_no_empty_folder(
    make_workspace: Callable[..., Path], small_disk: Callable[[int], Disk]
) -> None:
    disk = small_disk(4096)
    root = make_workspace()
    shutil.copytree(root, disk.folder / "ws")
    root = disk.folder / "ws"
    disk.fill()
    result = run_cli("import", "-C", root, "--slug", "new-one", SEEDS / "000_bc3bd09a187d1375.txt")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: data/new-one/")
    assert result.stderr.endswith(
        ": cannot be written (No space left on device); nothing was changed\n"
    )
    assert not (root / "data/new-one").exists()
    assert run_cli("check", "-C", root).exit_code == 0


@pytest.mark.parametrize("command", ["init", "update"])
def test_a_full_disk_during_i18n_is_one_line(
    make_workspace: Callable[..., Path], small_disk: Callable[[int], Disk], command: str
) -> None:
    disk = small_disk(4096)
    shutil.copytree(make_workspace(), disk.folder / "ws")
    root = disk.folder / "ws"
    if command == "update":
        shutil.copytree(REPO / "locales", root / "locales")
        (root / "locales/messages.pot").unlink()  # So that update has something to write.
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    disk.fill()
    args = (
        ("i18n", "init", "-C", root, "nl") if command == "init" else ("i18n", "update", "-C", root)
    )
    result = run_cli(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.stderr.endswith(
        ": cannot be written (No space left on device); nothing was changed\n"
    )
    assert len(result.stderr.splitlines()) == 1
    after = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    after.pop(root / ".filler", None)
    assert after == before
    assert not (root / "locales/nl").exists()


def test_a_full_disk_during_mark_translated_is_one_line(
    make_workspace: Callable[..., Path], small_disk: Callable[[int], Disk]
) -> None:
    disk = small_disk(4096)
    shutil.copytree(make_workspace(), disk.folder / "ws")
    root = disk.folder / "ws"
    source = root / "data/hemifacial-spasm/en.md"
    source.write_text(source.read_text("utf-8").replace("spasm", "spasms", 1), "utf-8")
    content = root / "data/hemifacial-spasm/it.md"
    before = content.read_bytes()
    disk.fill()
    result = run_cli("i18n", "mark-translated", "-C", root, *CONDITION, "-l", "it", "--from", "en")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: data/hemifacial-spasm/it.md: cannot be written (No space left on device); "
        "nothing was changed\n"
    )
    assert content.read_bytes() == before


# Item 9: addresses through IDNA 2008, refusing what normalization would change.


INVISIBLE = "it contains a line break or an invisible character"
SHAPE = "it should look like name@example.org or Name <name@example.org>"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("a@ｅｘａｍｐｌｅ.org", "it contains look-alike characters, such as full-width letters"),
        ("ａnna@example.org", "it contains look-alike characters, such as full-width letters"),
        ("a@exa\u200bmple.org", "it contains a line break or an invisible character"),
        ("a@exa\u2028mple.org", "it contains a line break or an invisible character"),
        ("a@example.org\r\nBcc: spy@evil.org", INVISIBLE),
        ("a@b..org", "the part after @ is not a valid domain"),
        ('"a@example.org" <b@evil.org>', "the name before <…> looks like another email address"),
        ("Mario a@example.org <b@evil.org>", SHAPE),
    ],
)  # fmt: skip
def test_addresses_that_would_change_or_mislead_are_refused(address: str, why: str) -> None:
    assert address_problem(address) == why
    assert normalized_address(address) is None
    with pytest.raises(MailError):
        check_addresses([address])


def test_international_domains_use_idna_2008(smtp_server: MailServer) -> None:
    # IDNA 2003 (the standard library's codec) turned ß.de into ss.de: another domain.
    assert check_addresses(["a@ß.de", "Anna <anna@bücher.de>", "A@Example.ORG"]) == [
        "a@xn--zca.de",
        "Anna <anna@xn--bcher-kva.de>",
        "A@example.org",
    ]
    assert normalized_address("o'brien@example.ie") == "o'brien@example.ie"
    assert normalized_address('"Rossi, Mario" <mario@example.org>') == (
        '"Rossi, Mario" <mario@example.org>'
    )


def test_the_cli_shows_the_receptionists_message(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli("email", "-C", root, *CONDITION, "-l", "it", "--to", "a@ß.de\u200b", "-n")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --to: Not an email address: a@ß.de\\u200b (it contains a line break or an "
        "invisible character); nothing was sent\n"
    )


# Item 13: --draft never overwrites without --force, never creates folders.


def test_a_draft_does_not_overwrite_a_file_without_force(
    make_built: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_built()
    draft = tmp_path / "mario.eml"
    draft.write_text("the clinic's own notes")
    result = run_cli("email", "-C", root, *CONDITION, "-l", "it", "--draft", draft)
    assert result.exit_code == 1
    assert result.stderr == f"Error: --draft: {draft}: already exists; pass --force to replace it\n"
    assert draft.read_text() == "the clinic's own notes"
    result = run_cli("email", "-C", root, *CONDITION, "-l", "it", "--draft", draft, "--force")
    assert result.exit_code == 0, result.output
    assert b"X-Unsent: 1" in draft.read_bytes()


def test_a_draft_does_not_create_folders(make_built: Callable[..., Path], tmp_path: Path) -> None:
    root = make_built()
    draft = tmp_path / "no" / "such" / "mario.eml"
    result = run_cli("email", "-C", root, *CONDITION, "-l", "it", "--draft", draft)
    assert result.exit_code == 1
    assert result.stderr == f"Error: --draft: {draft.parent}: no such folder; create it first\n"
    assert not (tmp_path / "no").exists()


# Item 14: few recipients, each once, none seeing another.


def test_each_recipient_gets_a_message_of_their_own(
    make_built: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_built(config=email_config(smtp_server.port, 'log = "sent.jsonl"\n'))
    result = run_cli(
        "email", "-C", root, *CONDITION, "-l", "en", "--to", "Ann <ann@example.org>",
        "--to", "bob@example.org", "--to", "ann@EXAMPLE.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sent to ann@example.org, bob@example.org"
    received = smtp_server.mailbox.received
    assert [r.rcpt_tos for r in received] == [["ann@example.org"], ["bob@example.org"]]
    assert [r.message["To"] for r in received] == ["Ann <ann@example.org>", "bob@example.org"]
    ids = [r.message["Message-ID"] for r in received]
    assert len(set(ids)) == 2
    records = [json.loads(line) for line in (root / "sent.jsonl").read_text().splitlines()]
    assert [record["message_id"] for record in records] == ids


def test_too_many_recipients_are_refused(
    make_workspace: Callable[..., Path], smtp_server: MailServer
) -> None:
    root = make_workspace(config=email_config(smtp_server.port, "max_recipients = 2\n"))
    addresses = [arg for n in range(3) for arg in ("--to", f"p{n}@example.org")]
    result = run_cli("email", "-C", root, *CONDITION, "-l", "en", *addresses)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --to: 3 addresses, more than [email] max_recipients allows (2); nothing was sent\n"
    )
    assert smtp_server.mailbox.received == []


def test_the_default_limit_is_five(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    addresses = [arg for n in range(500) for arg in ("--to", f"p{n}@example.org")]
    result = run_cli("email", "-C", root, *CONDITION, "-l", "en", *addresses, "-n")
    assert result.stderr == (
        "Error: --to: 500 addresses, more than [email] max_recipients allows (5); "
        "nothing was sent\n"
    )


def test_a_draft_is_for_one_patient(make_workspace: Callable[..., Path], tmp_path: Path) -> None:
    root = make_workspace()
    result = run_cli(
        "email", "-C", root, *CONDITION, "-l", "en", "--to", "a@example.org",
        "--to", "b@example.org", "--draft", tmp_path / "d.eml",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --draft: a draft is for one patient, and everyone it goes to would see the "
        "other addresses: give one --to, or send with --to instead of saving a draft\n"
    )


# Item 16: values that passed `check` and crashed later.


@pytest.mark.parametrize(
    ("table", "value", "message"),
    [
        (
            "clinic",
            'name = "Demo Clinic\\r\\nBcc: spy@evil.org"',
            "clinic.name: 'Demo Clinic\\r\\nBcc: spy@evil.org' contains a control character "
            "(U+000D): write it on one line, without control characters",
        ),
        (
            "clinic",
            'address = "1 Example Street\\u2028Milan"',
            "clinic.address: '1 Example Street\\u2028Milan' contains a control character "
            "(U+2028): write it on one line, without control characters",
        ),
        ("email", "timeout = inf", "email.timeout: inf is not a number of seconds from 0 to 600"),
        ("email", "timeout = nan", "email.timeout: nan is not a number of seconds from 0 to 600"),
        (
            "email",
            "timeout = 1e308",
            "email.timeout: 1e+308 is not a number of seconds from 0 to 600",
        ),
        (
            "email",
            'host = "a..b"',
            "email.host: 'a..b' is not a host name (it has an empty part, as in 'a..b')",
        ),
        (
            "email",
            f'host = "{"x" * 64}.example.org"',
            f"email.host: '{'x' * 64}.example.org' is not a host name (a part is longer "
            "than 63 characters)",
        ),
    ],
)
def test_check_refuses_values_that_crash_later(
    make_workspace: Callable[..., Path], table: str, value: str, message: str
) -> None:
    key = value.split(" =")[0]
    if key == "host":
        config = email_config(25, security="starttls").replace('host = "127.0.0.1"', value)
    else:
        config = email_config(25).replace(f"[{table}]\n", f"[{table}]\n{value}\n", 1)
    if table == "clinic":
        config = "\n".join(
            line
            for line in config.splitlines()
            if not line.startswith(f"{key} = ") or line == value
        )
    line = config.splitlines().index(value) + 1
    root = make_workspace(config=config)
    result = run_cli("check", "-C", root)
    assert result.exit_code == 2
    assert result.stderr == f"Error: leaflets.toml:{line}: {message}\n"


def test_an_international_host_name_connects_by_its_idna_2008_name(
    make_workspace: Callable[..., Path],
) -> None:
    from leaflets.workspace import open_workspace

    config = email_config(25).replace('host = "127.0.0.1"', 'host = "smtp.straße.de"')
    config = config.replace('security = "none"', 'security = "starttls"')
    root = make_workspace(config=config)
    assert open_workspace(root).config.email.host == "smtp.xn--strae-oqa.de"


# Item 18: a login asked of a server that offers none.


def test_a_server_without_auth_is_named_as_such(
    make_built: Callable[..., Path], smtp_server: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAFLETS_SMTP_PASSWORD", "secret")
    root = make_built(config=email_config(smtp_server.port, 'username = "clinic"\n'))
    result = run_cli("email", "-C", root, *CONDITION, "-l", "en", "--to", "a@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the mail server 127.0.0.1:{smtp_server.port} does not offer a login "
        "(SMTP AUTH), but [email] username is set to 'clinic': leave username empty if this "
        "server needs no login, or check host and port; nothing was sent\n"
    )
    assert smtp_server.mailbox.received == []


# Item 19: the smalls of delivery.


@pytest.mark.parametrize("command", ["email", "packet"])
def test_two_languages_for_one_patient_are_refused(
    make_workspace: Callable[..., Path], tmp_path: Path, command: str
) -> None:
    root = make_workspace()
    output = ("-n",) if command == "email" else ("-o", str(tmp_path / "p.pdf"))
    result = run_cli(command, "-C", root, *CONDITION, "-l", "en", "-l", "ar", *output)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '-l' / '--lang': give the patient's one language, not 'en', 'ar'"
    )
    assert not (tmp_path / "p.pdf").exists()


def test_a_repeated_template_is_built_once(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    result = run_cli(
        "build", "-C", root, *CONDITION, "-l", "en", "-l", "en", "-t", "handout", "-t", "handout"
    )
    assert result.exit_code == 0, result.output
    assert "same output file" not in result.output
    assert (root / "build/hemifacial-spasm.en.handout.pdf").is_file()
