"""Command line for auditors: `python -m audit verify EXPORT`, `python -m audit verify-proof FILE` and
`python -m audit verify-report FILE.pdf --trust CA.pem`.

Exit status: 0 when every check passes, 1 when the ledger or proof is invalid, 2 when the input
cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from audit import export, tlogproof
from audit.errors import VerificationError
from audit.policy import Policy, check_quorum, parse_policy
from audit.verify import verify_log


def _read_keys(args: argparse.Namespace) -> list[str]:
    keys = list(args.vkey or [])
    for path in args.vkey_file or []:
        keys += [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    return keys


def _progress(total: int) -> Callable[[int], None] | None:
    if not sys.stderr.isatty() or total == 0:
        return None

    def report(done: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\rverifying: {done}/{total} entries ({100 * done // total}%)", end=end, file=sys.stderr, flush=True)

    return report


def _policy(args: argparse.Namespace) -> Policy | None:
    return parse_policy(Path(args.policy).read_text(encoding="utf-8")) if args.policy else None


def _witnessed(note: str, policy: Policy, vkeys: list[str], origin: str | None) -> str | None:
    """None when the checkpoint meets the policy's quorum, else why not (naming missing witnesses)."""
    try:
        check_quorum(note, policy, vkeys, origin)
    except (VerificationError, ValueError) as error:
        return str(error)
    return None


def _export_quorum(notes: list[str], policy: Policy, vkeys: list[str], origin: str | None) -> tuple[bool, str]:
    """Whether the export's largest checkpoint, whose root binds every entry, meets the quorum; when
    it does not, the message names the witnesses it lacks and the largest checkpoint that does."""
    by_size = sorted(notes, key=lambda note: int(note.split("\n")[1]), reverse=True)
    if not by_size:
        return False, "INVALID: the export holds no checkpoint for the witnesses to have cosigned"
    reason = _witnessed(by_size[0], policy, vkeys, origin)
    if reason is None:
        return True, f"witnessed: the latest checkpoint is cosigned by the quorum {policy.describe()}"
    earlier = next((note for note in by_size[1:] if _witnessed(note, policy, vkeys, origin) is None), None)
    later = (
        f"; the largest checkpoint that meets it has size {earlier.split(chr(10))[1]}, the entries after it are "
        "not witnessed"
        if earlier
        else ""
    )
    return False, f"INVALID: {reason}{later}"


def verify_export(args: argparse.Namespace) -> int:
    folder = Path(args.path)
    manifest = export.read_manifest(folder)
    vkeys = _read_keys(args)
    untrusted = not vkeys
    if untrusted:
        vkeys = manifest.vkeys
    held = [Path(path).read_text(encoding="utf-8") for path in args.checkpoint or []]
    verdict = verify_log(
        export.read_entries(folder),
        export.read_checkpoint_notes(folder),
        vkeys,
        origin=args.origin,
        held_notes=held,
        progress=_progress(manifest.size),
    )
    print(verdict.summary())
    policy = _policy(args)
    if policy is not None and verdict.ok:
        witnessed, said = _export_quorum(list(export.read_checkpoint_notes(folder)), policy, vkeys, args.origin)
        print(said)
        if not witnessed:
            return 1
    if untrusted:
        # Self-consistent is all an export can prove about itself: anyone who rewrote it could have
        # signed it with a key of their own and named that key in the manifest.
        print(
            "WARNING: no --vkey given; checked against the key the export names itself, which proves only "
            "that the export is self-consistent. Pass the log's verifier key from a trusted source."
        )
    return 0 if verdict.ok else 1


def verify_proof(args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8")
    leaf = bytes.fromhex(args.leaf_hash) if args.leaf_hash else None
    vkeys = _read_keys(args)
    if not vkeys:
        print("verify-proof needs the log's verifier key: --vkey or --vkey-file", file=sys.stderr)
        return 2
    try:
        checkpoint = tlogproof.verify_tlog_proof(text, leaf, vkeys, origin=args.origin)
    except VerificationError as error:
        print(f"INVALID: {error}")
        return 1
    proof = tlogproof.parse_tlog_proof(text)
    policy = _policy(args)
    if policy is not None:
        reason = _witnessed(proof.checkpoint_note, policy, vkeys, args.origin)
        if reason is not None:
            print(f"INVALID: {reason}")
            return 1
    described = ""
    if proof.extra is not None and leaf is None:  # only then is `extra` what the proof verified
        try:
            event = json.loads(proof.extra)
            described = f" ({event.get('type')} at {event.get('time')})"
        except (ValueError, AttributeError):
            described = " (its body is not an event object)"
    witnessed = f", witnessed by the quorum {policy.describe()}" if policy is not None else ""
    print(f"OK: entry {proof.index}{described} is included in {checkpoint.origin} at size {checkpoint.size}{witnessed}")
    return 0


def verify_report_file(args: argparse.Namespace) -> int:
    from audit.report import pyhanko_available, verify_report

    if not pyhanko_available():  # a missing package is a sentence, not a traceback
        print(
            "verify-report needs pyHanko to check a PDF's signature: pip install pyhanko "
            "(the ledger commands need only cryptography and rfc8785)",
            file=sys.stderr,
        )
        return 2

    # pyHanko logs the certificate problems it works around (an expired signer proved valid by its
    # archive timestamp) with their tracebacks; the verdict below says what matters.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    data = Path(args.file).read_bytes()
    roots = [Path(path).read_bytes() for path in args.trust or []]
    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"--at {args.at!r} is not an ISO 8601 date or time", file=sys.stderr)
            return 2
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    verdict = verify_report(data, trust_roots=roots, vkeys=_read_keys(args), at=at, policy=_policy(args))
    for check in verdict.checks:
        print(f"{'ok  ' if check.passed else 'FAIL'} {check.name:10} {check.detail}")
    print(verdict.summary())
    if verdict.level:
        print(f"PAdES {verdict.level}: {verdict.level_meaning}")
    if verdict.ok and not verdict.trusted_log_key:
        print(
            "WARNING: no --vkey given; the checkpoint was checked with the key the evidence names itself. "
            "Pass the log's verifier key from a trusted source."
        )
    return 0 if verdict.ok else 1


def witness_init(args: argparse.Namespace) -> int:
    from audit import witness
    from audit.cosignature import ED25519_COSIGNATURE, ML_DSA_44

    try:
        vkey = witness.init(Path(args.state), args.name, ML_DSA_44 if args.ml_dsa else ED25519_COSIGNATURE)
    except FileExistsError:
        print(f"{args.state} already holds a witness key; a witness keeps its key for life", file=sys.stderr)
        return 2
    print(vkey)
    return 0


def witness_add_log(args: argparse.Namespace) -> int:
    from audit import witness

    print(f"cosigning checkpoints of {witness.add_log(Path(args.state), args.vkey)}; restart the witness to apply")
    return 0


def witness_serve(args: argparse.Namespace) -> int:
    from audit import witness

    host, _, port = args.listen.rpartition(":")
    server = witness.serve(Path(args.state), host or "127.0.0.1", int(port))
    print(f"witness {witness.Witness(Path(args.state)).vkey}", flush=True)
    print(f"listening on http://{host}:{server.server_address[1]}/add-checkpoint", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit", description="Verify Serial Ledger exports and receipts.")
    commands = parser.add_subparsers(dest="command", required=True)

    def key_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--vkey", action="append", help="trusted verifier key (name+id+key); repeatable")
        command.add_argument("--vkey-file", action="append", help="file with one verifier key per line")
        command.add_argument("--origin", help="require checkpoints of this log origin")
        command.add_argument(
            "--policy", help="a C2SP tlog-policy file: fail unless the checkpoint is cosigned by its witness quorum"
        )

    verify = commands.add_parser("verify", help="verify a ledger export folder")
    verify.add_argument("path")
    key_options(verify)
    verify.add_argument(
        "--checkpoint", action="append", help="a signed checkpoint kept from earlier; the export must extend it"
    )
    verify.set_defaults(run=verify_export)

    proof = commands.add_parser("verify-proof", help="verify a C2SP tlog-proof receipt")
    proof.add_argument("file")
    key_options(proof)
    proof.add_argument("--leaf-hash", help="hex leaf hash to prove, when the receipt carries no entry body")
    proof.set_defaults(run=verify_proof)

    report = commands.add_parser("verify-report", help="verify a signed PDF report and its embedded evidence")
    report.add_argument("file")
    report.add_argument("--trust", action="append", help="PEM file of a trusted root certificate; repeatable")
    report.add_argument(
        "--at", help="check the signature as a reader would on this day (ISO 8601, UTC unless given), e.g. 2035-01-01"
    )
    key_options(report)
    report.set_defaults(run=verify_report_file)

    witness = commands.add_parser("witness", help="run a C2SP tlog-witness that cosigns a log's checkpoints")
    steps = witness.add_subparsers(dest="step", required=True)
    start = steps.add_parser("init", help="create the witness's state folder and key; print its verifier key")
    start.add_argument("state")
    start.add_argument("--name", required=True, help="the witness's key name, e.g. witness.example.org/w1")
    start.add_argument("--ml-dsa", action="store_true", help="cosign with ML-DSA-44 (0x06) instead of Ed25519")
    start.set_defaults(run=witness_init)
    log = steps.add_parser("add-log", help="add a log, by its verifier key, to those the witness cosigns")
    log.add_argument("state")
    log.add_argument("--vkey", required=True)
    log.set_defaults(run=witness_add_log)
    run_server = steps.add_parser("serve", help="answer add-checkpoint requests over HTTP")
    run_server.add_argument("state")
    run_server.add_argument("--listen", default="127.0.0.1:7380", help="host:port (default 127.0.0.1:7380)")
    run_server.set_defaults(run=witness_serve)

    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (OSError, export.ExportFormatError, ValueError) as error:
        print(f"cannot read input: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
